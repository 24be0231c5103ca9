//! `progress.md`: the append-only run log. Opened with `append`, each entry is one `write` (so
//! entries from several processes never interleave), and the file is never truncated.

use crate::store::Error;
use chrono::{DateTime, SecondsFormat, Utc};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The log's name inside the output folder (named in `layout`).
pub use crate::store::layout::PROGRESS_FILE;

/// An open `progress.md`.
#[derive(Debug)]
pub struct ProgressLog {
    file: File,
    path: PathBuf,
}

impl ProgressLog {
    /// Opens (creating if needed) `progress.md` in `dir` for appending.
    pub fn open(dir: &Path) -> Result<ProgressLog, Error> {
        let path = crate::store::layout::progress_path(dir);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io("open for appending", &path, e))?;
        Ok(ProgressLog { file, path })
    }

    /// Appends the header that starts each run.
    pub fn header(&mut self, mode: &str, version: &str, now: DateTime<Utc>) -> Result<(), Error> {
        let text = format!(
            "\n## Run started {} (mode: {mode}, imaginize {version})\n\n",
            iso(now)
        );
        self.append(&text)
    }

    /// Appends `**[ISO time]** <emoji> message`.
    pub fn entry(&mut self, emoji: &str, message: &str, now: DateTime<Utc>) -> Result<(), Error> {
        // A newline inside the message would start a line without a timestamp.
        let message = message.replace('\n', " ");
        self.append(&format!("**[{}]** {emoji} {message}\n", iso(now)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(&mut self, text: &str) -> Result<(), Error> {
        // One write call for the whole entry: with O_APPEND it lands at the end in one piece.
        let written = self
            .file
            .write(text.as_bytes())
            .map_err(|e| Error::io("append to", &self.path, e))?;
        if written != text.len() {
            return Err(Error::io(
                "append to",
                &self.path,
                std::io::Error::new(std::io::ErrorKind::WriteZero, "short write"),
            ));
        }
        Ok(())
    }
}

fn iso(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_header_and_entries_without_truncating() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PROGRESS_FILE), "earlier run\n").unwrap();
        let now: DateTime<Utc> = "2026-01-02T03:04:05Z".parse().unwrap();
        let mut log = ProgressLog::open(dir.path()).unwrap();
        log.header("concurrent", "0.1.0", now).unwrap();
        log.entry("✅", "chapter 1\nanalyzed", now).unwrap();
        drop(log);
        let mut again = ProgressLog::open(dir.path()).unwrap();
        again.entry("🎨", "image", now).unwrap();
        let text = std::fs::read_to_string(dir.path().join(PROGRESS_FILE)).unwrap();
        assert_eq!(
            text,
            "earlier run\n\n## Run started 2026-01-02T03:04:05Z (mode: concurrent, imaginize 0.1.0)\n\n\
             **[2026-01-02T03:04:05Z]** ✅ chapter 1 analyzed\n\
             **[2026-01-02T03:04:05Z]** 🎨 image\n"
        );
    }
}
