//! `Run`: one invocation of the real binary in a temp folder, read like a spec:
//! `Run::new().args([...]).run().code(0).stderr_contains("...")`.

#![expect(dead_code, reason = "helpers used by some test modules only")]

use std::path::{Path, PathBuf};
use std::process::Output;

/// The repository root (where `samples/` and `tests/fixtures/` live).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture book by file name.
pub fn fixture_book(name: &str) -> PathBuf {
    let sample = repo().join("samples").join(name);
    if sample.exists() {
        sample
    } else {
        repo().join("tests/fixtures/books").join(name)
    }
}

/// The bundled sample book run with the builtin provider, one scene per chapter, small images:
/// the folder a compile test starts from.
pub fn sample_book_run() -> (PathBuf, Done) {
    let book = fixture_book("pride-and-prejudice.epub");
    let done = Run::new()
        .file(".imaginize.config", "imageSize: 256x256\n")
        .args(["--file", book.to_str().expect("utf-8 path")])
        .args(["--provider", "builtin", "--limit", "1", "--quiet"])
        .run()
        .code(0)
        .no_panic();
    (book, done)
}

pub struct Run {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

pub struct Done {
    pub output: Output,
    pub dir: PathBuf,
    _keep: (tempfile::TempDir, tempfile::TempDir),
}

impl Run {
    pub fn new() -> Self {
        Run {
            dir: tempfile::tempdir().expect("tempdir"),
            home: tempfile::tempdir().expect("tempdir"),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// The folder the binary runs in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Writes a file into the run's folder.
    pub fn file(self, name: &str, contents: impl AsRef<[u8]>) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, contents).expect("write fixture");
        self
    }

    pub fn run(self) -> Done {
        let mut command = assert_cmd::Command::cargo_bin("imaginize").expect("binary built");
        command
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .args(&self.args);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let output = command.output().expect("binary runs");
        Done {
            output,
            dir: self.dir.path().to_path_buf(),
            _keep: (self.dir, self.home),
        }
    }
}

impl Done {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts the exit code, printing both streams when it differs.
    pub fn code(self, expected: i32) -> Self {
        let code = self.output.status.code();
        assert_eq!(
            code,
            Some(expected),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    pub fn stderr_contains(self, needle: &str) -> Self {
        let stderr = self.stderr();
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
        self
    }

    pub fn stdout_contains(self, needle: &str) -> Self {
        let stdout = self.stdout();
        assert!(
            stdout.contains(needle),
            "stdout lacks {needle:?}:\n{stdout}"
        );
        self
    }

    /// No panic message or backtrace, whatever happened.
    pub fn no_panic(self) -> Self {
        let stderr = self.stderr();
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "panic:\n{stderr}"
        );
        self
    }
}
