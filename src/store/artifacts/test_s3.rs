//! A throwaway S3-compatible server for the tests: `s3s-fs` (from crates.io; `.ci/run` installs
//! it) on a free port of 127.0.0.1, storing into a temp folder. One server per test binary,
//! started through `store::test_server` with a parent-death signal, so a binary that ends or is
//! killed takes it down. Each test uses its own bucket.
//!
//! Without `s3s-fs` on PATH the tests that need it are skipped with a notice, except when
//! `CI=true`, where they fail.

use super::Object;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const ACCESS_KEY: &str = "imaginize-test";
const SECRET_KEY: &str = "imaginize-test-secret";

struct Server {
    root: tempfile::TempDir,
    port: u16,
    _child: Child,
}

/// Storage in a new, empty bucket of the shared server; `None` (after a notice) when `s3s-fs`
/// is not installed.
pub(crate) fn bucket() -> Option<Object> {
    static SHARED: OnceLock<Result<Option<(std::path::PathBuf, u16)>, String>> = OnceLock::new();
    let started = SHARED.get_or_init(|| {
        if Command::new("s3s-fs").arg("--version").output().is_err() {
            return Ok(None);
        }
        let reach = |s: &Server| (s.root.path().to_path_buf(), s.port);
        crate::store::test_server::on_a_lasting_thread(start, reach).map(Some)
    });
    let (root, port) = match started {
        Ok(Some(server)) => server.clone(),
        Ok(None) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but s3s-fs is not on PATH: the S3 artifact tests cannot run")
        }
        Ok(None) => {
            eprintln!("notice: skipping an S3 artifacts test: s3s-fs is not on PATH");
            return None;
        }
        Err(e) => panic!("the test S3 server did not start: {e}"),
    };
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let bucket = format!("book{}", NEXT.fetch_add(1, Ordering::Relaxed));
    std::fs::create_dir(root.join(&bucket)).expect("create the bucket's folder");
    let options = [
        ("aws_access_key_id", ACCESS_KEY.to_string()),
        ("aws_secret_access_key", SECRET_KEY.to_string()),
        ("aws_region", "us-east-1".to_string()),
        ("aws_endpoint", format!("http://127.0.0.1:{port}")),
        ("aws_allow_http", "true".to_string()),
    ];
    let url = format!("s3://{bucket}/books");
    Some(Object::open_with(&url, options.map(|(k, v)| (k.to_string(), v))).expect("open"))
}

fn start() -> Result<Server, String> {
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut command = Command::new("s3s-fs");
    command
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(root.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: only an async-signal-safe call between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().map_err(|e| format!("start s3s-fs: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("s3s-fs did not listen on port {port} within 30 s"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(Server {
        root,
        port,
        _child: child,
    })
}
