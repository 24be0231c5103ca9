//! Test servers (the PostgreSQL cluster, the S3 server) started once per test binary from a
//! thread that never ends: a child's parent-death signal follows the thread that started it,
//! not the process, and test threads end with their test.

/// Runs `start` on a thread that keeps what it started for the rest of the test binary, and
/// hands back what `reach` takes from it (an address, a URL).
pub(crate) fn on_a_lasting_thread<S, T>(
    start: impl FnOnce() -> Result<S, String> + Send + 'static,
    reach: impl FnOnce(&S) -> T + Send + 'static,
) -> Result<T, String>
where
    T: Send + 'static,
{
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let started = start();
        let _ = send.send(started.as_ref().map(reach).map_err(String::clone));
        let _keep = started;
        loop {
            std::thread::park();
        }
    });
    receive.recv().map_err(|e| e.to_string())?
}
