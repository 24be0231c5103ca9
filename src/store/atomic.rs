//! Atomic file writes (temp file in the same folder → write → fsync → rename → fsync the folder)
//! and the clean-up of temp files left by killed writers. Every module writes every file through
//! [`write`], so no reader ever sees a half-written file; folders are created, files moved aside
//! and folders removed through the functions here too, so no module outside `store` changes the
//! output folder with `std::fs`.

use crate::store::Error;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// Marks our temp files: `.<name>.tmp-<host>-<pid>-<rand>`.
const TMP_MARK: &str = ".tmp-";

/// Temp files older than this are removed even when their writer cannot be checked (another host).
const STALE_AGE: Duration = Duration::from_secs(3600);

/// Writes `bytes` to `path` so that `path` holds either its old or its new content at every
/// instant, even across `kill -9` or a power cut.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    replace(path, bytes, true)?;
    sync_dir(&parent_dir(path))
}

/// Replaces `path` with `bytes` through a temp file and a rename, without the fsyncs: readers
/// and a killed process still see the old or the new file whole, but a power cut may lose the
/// latest version. Only for renders that can be rebuilt from the durable state at any time
/// (Chapters.md, Contents.md), which are rewritten many times a run.
pub fn replace_unsynced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    replace(path, bytes, false)
}

/// Temp file (fsync'd when `sync`) renamed over `path`; the temp file is removed on failure.
fn replace(path: &Path, bytes: &[u8], sync: bool) -> Result<(), Error> {
    let tmp = temp_path(path);
    if let Err(err) = write_temp(&tmp, bytes, sync) {
        let _ = fs::remove_file(&tmp);
        return Err(err.naming_target(path));
    }
    fs::rename(&tmp, path).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        Error::io("rename a temp file over", path, source)
    })
}

// The folder's other file operations: modules outside `store` go through these rather than
// `std::fs`, so every change to the folder is made here and fails as a `store::Error` naming the
// path (a full disk included).

/// Creates `dir` and its missing parents; an existing folder is fine.
pub fn create_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create folder", dir, e))
}

/// [`write`] of `bytes` to `path`, creating `path`'s folder first: for outputs whose
/// folder a fresh output folder does not have yet (the gallery, compiled files).
pub fn write_creating_folder(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(parent)?;
    }
    write(path, bytes)
}

/// Writes `bytes` to `path` only if nothing is there, durably: the temp file is hard-linked to
/// `path`, which fails when `path` exists, so of two writers exactly one creates it. Returns
/// whether this call created it; creates `path`'s folder first.
pub fn create_new(path: &Path, bytes: &[u8]) -> Result<bool, Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(parent)?;
    }
    let tmp = temp_path(path);
    if let Err(err) = write_temp(&tmp, bytes, true) {
        let _ = fs::remove_file(&tmp);
        return Err(err.naming_target(path));
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => sync_dir(&parent_dir(path)).map(|()| true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io("create", path, e)),
    }
}

/// Whether `name` is one of our temp files (never an artifact of its own).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(TMP_MARK)
}

/// Moves `from` to `to` (one rename, so on one filesystem), creating `to`'s folder first. The
/// file is whole at every instant, in one place or the other; the move itself is not fsync'd
/// (only for files that are kept as a courtesy, such as images `--force` replaces).
pub fn move_aside(from: &Path, to: &Path) -> Result<(), Error> {
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(parent)?;
    }
    std::fs::rename(from, to).map_err(|e| Error::io("move", to, e))
}

/// Removes `dir` and everything in it; a missing folder is fine.
pub fn remove_dir(dir: &Path) -> Result<(), Error> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io("remove folder", dir, e))
        }
        _ => Ok(()),
    }
}

/// Removes temp files in `dir` (not recursive) left by writers that died: those written on this
/// host by a pid that no longer exists, and any older than an hour. A live writer's temp file is
/// never touched. Returns how many were removed.
pub fn clean_stray_temps(dir: &Path) -> Result<usize, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(source) => return Err(Error::io("list", dir, source)),
    };
    let host = host_tag();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((tmp_host, pid)) = parse_temp_name(&name) else {
            continue;
        };
        let dead_here = tmp_host == host && !crate::store::claims::pid_alive(pid);
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_AGE);
        if (dead_here || stale) && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Fsyncs a folder so a rename in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    let handle = File::open(dir).map_err(|e| Error::io("open folder", dir, e))?;
    handle
        .sync_all()
        .map_err(|e| Error::io("fsync folder", dir, e))
}

/// The name a temp file for `path` gets (also used for `.bak` rotation).
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = format!(
        ".{name}{TMP_MARK}{}-{}-{:08x}",
        host_tag(),
        std::process::id(),
        fastrand::u32(..)
    );
    parent_dir(path).join(tmp)
}

fn write_temp(tmp: &Path, bytes: &[u8], sync: bool) -> Result<(), Error> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(|e| Error::io("create temp file", tmp, e))?;
    let (head, tail) = bytes.split_at(bytes.len() / 2);
    file.write_all(head)
        .map_err(|e| Error::io("write", tmp, e))?;
    test_delay();
    file.write_all(tail)
        .map_err(|e| Error::io("write", tmp, e))?;
    if sync {
        file.sync_all().map_err(|e| Error::io("fsync", tmp, e))?;
    }
    test_delay();
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// This host's name with anything but ASCII letters and digits replaced, so the temp name can be
/// split on `-` again.
fn host_tag() -> String {
    gethostname::gethostname()
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// `(host, pid)` of a temp file name of ours, `None` for any other file.
fn parse_temp_name(name: &str) -> Option<(String, i32)> {
    if !name.starts_with('.') {
        return None;
    }
    let (_, rest) = name.rsplit_once(TMP_MARK)?;
    let mut parts = rest.rsplitn(3, '-');
    let rand = parts.next()?;
    let pid = parts.next()?.parse().ok()?;
    let host = parts.next()?;
    (rand.len() == 8 && rand.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| (host.to_string(), pid))
}

/// Test-only: `IMAGINIZE_TEST_WRITE_DELAY_US` (read once per process) sleeps that long in the
/// middle of writing and before the rename, so tests can `kill -9` a writer mid-write. Unset in
/// normal use, where it costs one cached lookup.
fn test_delay() {
    static DELAY: OnceLock<Option<Duration>> = OnceLock::new();
    let delay = DELAY.get_or_init(|| {
        std::env::var("IMAGINIZE_TEST_WRITE_DELAY_US")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_micros)
    });
    if let Some(delay) = delay {
        std::thread::sleep(*delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_content_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn unsynced_replace_swaps_content_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Chapters.md");
        replace_unsynced(&path, b"one").unwrap();
        replace_unsynced(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn temp_names_are_recognised_and_others_are_not() {
        let tmp = temp_path(Path::new("/x/a.json"));
        let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
        let (host, pid) = parse_temp_name(&name).unwrap();
        assert_eq!(host, host_tag());
        assert_eq!(pid, std::process::id() as i32);
        assert!(parse_temp_name("a.json").is_none());
        assert!(parse_temp_name(".a.json.tmp-h-12-zz").is_none());
    }

    #[test]
    fn clean_removes_dead_writers_temps_and_keeps_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        let live = temp_path(&dir.path().join("a.json"));
        fs::write(&live, b"x").unwrap();
        // pid 0x7fff_fff0 does not exist on any Linux box (pid_max is at most 2^22).
        let dead = dir.path().join(format!(
            ".a.json{TMP_MARK}{}-{}-0000abcd",
            host_tag(),
            0x7fff_fff0
        ));
        fs::write(&dead, b"x").unwrap();
        fs::write(dir.path().join("keep.json"), b"x").unwrap();
        assert_eq!(clean_stray_temps(dir.path()).unwrap(), 1);
        assert!(live.exists());
        assert!(!dead.exists());
        assert!(dir.path().join("keep.json").exists());
    }

    /// The temp file is created with the default mode (0666 less the umask, like any file the
    /// user makes), not the 0600 of a private temp file: outputs must be readable by others.
    #[cfg(unix)]
    #[test]
    fn written_files_get_the_mode_of_any_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        File::create(&plain).unwrap();
        let written = dir.path().join("written");
        write(&written, b"x").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&written), mode(&plain));
    }

    #[test]
    fn write_creating_folder_makes_the_missing_folders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gallery/images/a.png");
        write_creating_folder(&path, b"x").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
        write_creating_folder(&path, b"y").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"y");
    }

    #[test]
    fn move_aside_moves_into_a_new_folder() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("a.png");
        std::fs::write(&from, b"x").unwrap();
        let to = dir.path().join("images/.replaced/s-a.png");
        move_aside(&from, &to).unwrap();
        assert!(!from.exists());
        assert_eq!(std::fs::read(&to).unwrap(), b"x");
        assert!(move_aside(&from, &to).is_err());
    }

    #[test]
    fn remove_dir_removes_contents_and_accepts_a_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("entities");
        create_dir(&sub.join("deep")).unwrap();
        std::fs::write(sub.join("001.json"), b"{}").unwrap();
        remove_dir(&sub).unwrap();
        assert!(!sub.exists());
        remove_dir(&sub).unwrap();
    }
}
