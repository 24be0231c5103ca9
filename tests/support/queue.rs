//! The queue's commands end to end (issue 17, docs/scale-out.md) for the test binaries that run
//! them (tests/scale.rs, tests/scale_restart.rs): the provider flags, the binary pointed at the
//! fake, a single-machine run to compare with, worker processes, and a throwaway `s3s-fs`.
//! The binary that mounts this must also mount `harness` (tests/e2e/harness.rs).

#![expect(dead_code, reason = "each test binary uses some of the helpers")]

use crate::harness::{self, Fake, Folder, KEY};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The provider flags every run and submission of these tests points at the fake with.
pub const MODELS: [&str; 6] = [
    "--provider",
    "openai",
    "--model",
    "gpt-4o-mini",
    "--image-model",
    "gpt-image-1",
];

/// The binary in `folder` with `args`, the fake's base URL and key in its environment (as a
/// worker machine has them; nothing secret on the command line).
pub fn command(folder: &Folder, fake: &Fake, args: &[&str]) -> Command {
    let mut command = folder.command(args);
    command
        .env("IMAGINIZE_BASE_URL", fake.server.base_url())
        .env("IMAGINIZE_API_KEY", KEY);
    command
}

/// The single-machine run of `book.txt` into `local/` that a test compares the queue's with.
pub fn local_run(folder: &Folder, fake: &Fake, extra: &[&str]) -> String {
    let args = [
        vec!["--file", "book.txt", "--output-dir", "local"],
        extra.to_vec(),
        MODELS.to_vec(),
    ]
    .concat();
    run_ok(command(folder, fake, &args))
}

/// `count` workers started with `args`, each logging to `w{n}.log` in the folder.
pub fn start_workers(folder: &Folder, fake: &Fake, args: &[&str], count: usize) -> Vec<Worker> {
    (0..count)
        .map(|n| Worker::start(folder, fake, args, folder.path().join(format!("w{n}.log"))))
        .collect()
}

/// Waits for every worker, each of which must end with 0 within `limit`.
pub fn wait_for_all(workers: &mut [Worker], limit: Duration) {
    for worker in workers {
        assert_eq!(worker.wait(limit), 0, "{}", worker.output());
    }
}

/// Runs `command`, which must succeed; its stdout.
pub fn run_ok(mut command: Command) -> String {
    let output = command.output().expect("the binary runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(
        output.status.success(),
        "exit {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status.code()
    );
    stdout
}

/// `path` as a `file://` URL.
pub fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A worker process, its output in files.
pub struct Worker {
    pub child: Child,
    log: PathBuf,
}

impl Worker {
    pub fn start(folder: &Folder, fake: &Fake, args: &[&str], log: PathBuf) -> Worker {
        Worker::spawn(command(folder, fake, args), log)
    }

    /// A worker from a command already made (e.g. with the S3 server's settings).
    pub fn spawn(mut command: Command, log: PathBuf) -> Worker {
        let file = std::fs::File::create(&log).expect("log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("the worker starts");
        Worker { child, log }
    }

    pub fn wait(&mut self, limit: Duration) -> i32 {
        let started = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status.code().unwrap_or(-1),
                Ok(None) if started.elapsed() < limit => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!("worker did not exit within {limit:?}:\n{}", self.output());
                }
            }
        }
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A throwaway `s3s-fs` (as in src/store/artifacts/test_s3.rs) with one bucket, `books`: the
/// `AWS_*` settings a process needs; `None` (after a notice) when `s3s-fs` is not on PATH. It
/// can be killed and started again on the same port and folder ([`S3::restart`]).
pub struct S3 {
    pub root: tempfile::TempDir,
    child: Child,
    port: u16,
}

impl S3 {
    const KEY_ID: &str = "imaginize-test";
    const SECRET: &str = "imaginize-test-secret";

    pub fn start() -> Option<S3> {
        if Command::new("s3s-fs").arg("--version").output().is_err() {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "CI=true but s3s-fs is not on PATH"
            );
            eprintln!("notice: skipping an S3 test: s3s-fs is not on PATH");
            return None;
        }
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(root.path().join("books")).expect("the bucket");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = S3::serve(root.path(), port);
        Some(S3 { root, child, port })
    }

    /// `s3s-fs` on `port` storing into `root`, once it listens.
    fn serve(root: &Path, port: u16) -> Child {
        let child = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", S3::KEY_ID, "--secret-key", S3::SECRET])
            .arg(root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs starts");
        let up = harness::wait_until(Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "s3s-fs did not listen on port {port}");
        child
    }

    /// Kills the server (SIGKILL: connections in flight are cut), leaves it down for `down`,
    /// and starts it again on the same port and folder.
    pub fn restart(&mut self, down: Duration) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(down);
        self.child = S3::serve(self.root.path(), self.port);
    }

    /// Sets the `AWS_*` settings that reach this server on `command`.
    pub fn env(&self, command: &mut Command) {
        command
            .env("AWS_ACCESS_KEY_ID", S3::KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", S3::SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT", format!("http://127.0.0.1:{}", self.port))
            .env("AWS_ALLOW_HTTP", "true");
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
