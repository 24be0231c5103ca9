//! The book's files a run keeps in its local working folder even when its artifacts are
//! elsewhere (`--artifacts`): the merged cast and the style, which the pipeline reads and
//! writes as files. They are copied down before a run (so a second machine, or a restarted
//! worker, continues with the same cast instead of asking for it again) and up after it.

use crate::store::artifacts::{Artifacts, Key};
use crate::store::{self, atomic, layout};
use std::path::Path;

/// The files of the output folder that live there during a run and in the artifacts after it.
pub const LOCAL_FILES: [&str; 3] = [
    layout::ELEMENTS_JSON,
    layout::ELEMENTS_MD,
    layout::STYLE_JSON,
];

/// Copies each of [`LOCAL_FILES`] the artifacts have into `out` where `out` has none (a file
/// edited here by hand wins). Returns how many it copied.
pub fn pull(artifacts: &dyn Artifacts, out: &Path) -> Result<usize, store::Error> {
    let mut copied = 0;
    for name in LOCAL_FILES {
        let path = out.join(name);
        if path.exists() {
            continue;
        }
        if let Some(bytes) = artifacts.get(&Key::new(name)?)? {
            atomic::write_creating_folder(&path, &bytes)?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// Brings each of [`LOCAL_FILES`] the artifacts have down into `out`, replacing a local copy
/// that differs: a worker helping with a book another holds keeps no edits of its own.
/// Returns how many it replaced.
pub fn refresh(artifacts: &dyn Artifacts, out: &Path) -> Result<usize, store::Error> {
    let mut replaced = 0;
    for name in LOCAL_FILES {
        let Some(bytes) = artifacts.get(&Key::new(name)?)? else {
            continue;
        };
        let path = out.join(name);
        if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
            atomic::write_creating_folder(&path, &bytes)?;
            replaced += 1;
        }
    }
    Ok(replaced)
}

/// Copies each of [`LOCAL_FILES`] that `out` has to the artifacts (replacing theirs). Returns
/// how many it copied.
pub fn push(artifacts: &dyn Artifacts, out: &Path) -> Result<usize, store::Error> {
    let mut copied = 0;
    for name in LOCAL_FILES {
        let path = out.join(name);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(store::Error::io("read", path, e)),
        };
        artifacts.put(&Key::new(name)?, &bytes)?;
        copied += 1;
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::artifacts::Folder;

    #[test]
    fn the_cast_goes_up_after_a_run_and_down_before_the_next_without_replacing_edits() {
        let dir = tempfile::tempdir().unwrap();
        let (first, remote, second) = (
            dir.path().join("first"),
            Folder::new(dir.path().join("remote")),
            dir.path().join("second"),
        );
        std::fs::create_dir_all(&first).unwrap();
        std::fs::write(first.join(layout::ELEMENTS_MD), "# cast\n").unwrap();
        std::fs::write(first.join(layout::STYLE_JSON), "{}").unwrap();
        assert_eq!(push(&remote, &first).unwrap(), 2);
        std::fs::create_dir_all(&second).unwrap();
        std::fs::write(second.join(layout::STYLE_JSON), "edited").unwrap();
        assert_eq!(pull(&remote, &second).unwrap(), 1);
        let md = std::fs::read_to_string(second.join(layout::ELEMENTS_MD)).unwrap();
        assert_eq!(md, "# cast\n");
        let style = std::fs::read_to_string(second.join(layout::STYLE_JSON)).unwrap();
        assert_eq!(
            style, "edited",
            "a local file is never replaced by the copy"
        );
        assert!(!second.join(layout::ELEMENTS_JSON).exists());
    }

    #[test]
    fn a_helper_brings_the_newest_cast_down_over_its_own_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (remote, helper) = (Folder::new(dir.path().join("remote")), dir.path().join("h"));
        std::fs::create_dir_all(&helper).unwrap();
        std::fs::write(helper.join(layout::ELEMENTS_MD), "# cast, first batch\n").unwrap();
        remote
            .put(
                &Key::new(layout::ELEMENTS_MD).unwrap(),
                b"# cast, all cards\n",
            )
            .unwrap();
        assert_eq!(refresh(&remote, &helper).unwrap(), 1);
        let md = std::fs::read_to_string(helper.join(layout::ELEMENTS_MD)).unwrap();
        assert_eq!(md, "# cast, all cards\n");
        assert_eq!(
            refresh(&remote, &helper).unwrap(),
            0,
            "unchanged: not rewritten"
        );
    }
}
