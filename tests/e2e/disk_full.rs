//! A full disk, for real: the output folder on a small tmpfs filled up (issue 20). A write that
//! fails for want of space leaves the previous version intact and stops the run with one clear
//! message, marking no chapter failed; a re-run after freeing space completes.
//!
//! Mounting needs root (CI runs as root); elsewhere these tests skip with a notice, except under
//! `CI=true`, where a failed mount fails them.

use crate::harness::{Folder, read_manifest, small_book};
use imaginize::store::Status;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a temp folder, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts `size_kb` KiB, or says why not and returns `None` (panics under `CI=true`).
    fn mount(size_kb: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_kb}k"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Tmpfs { dir }),
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "cannot mount a tmpfs in CI: {why}"
                );
                eprintln!("notice: skipping the disk-full test, cannot mount a tmpfs ({why})");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the filesystem but for about `keep` bytes, with one file; returns it.
    fn fill_leaving(&self, keep: u64) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&filler)
            .expect("filler");
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        let _ = file.flush();
        let len = file.metadata().expect("metadata").len();
        file.set_len(len.saturating_sub(keep)).expect("truncate");
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// The arguments of a builtin run of `book.txt` into `out`.
fn args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--file",
        "book.txt",
        "--provider",
        "builtin",
        "--output-dir",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(out.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// A folder with a 4-chapter book whose analysis (`--text`) is already in `out` on the tmpfs.
fn analyzed_on(fs: &Tmpfs) -> (Folder, PathBuf) {
    let folder = Folder::new();
    folder.write("book.txt", small_book(4));
    folder.write(
        ".imaginize.config",
        "imageSize: 256x256\npagesPerImage: 0.4\nportraits: 0\n",
    );
    let out = fs.path().join("out");
    folder.run(&args(&out, &["--text"])).expect_code(0);
    (folder, out)
}

/// Files under `out` (recursively) whose name marks an unfinished atomic write.
fn temp_files(out: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![out.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if entry.file_name().to_string_lossy().contains(".tmp-") {
                found.push(path);
            }
        }
    }
    found
}

/// Every image under `out/images` is a whole PNG (ends with its IEND chunk).
fn assert_whole_images(out: &Path) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(out.join("images"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if entry.path().is_file() {
            let bytes = std::fs::read(entry.path()).expect("image");
            assert!(
                bytes.starts_with(b"\x89PNG") && bytes.ends_with(&[0xAE, 0x42, 0x60, 0x82]),
                "{} is not a whole PNG ({} bytes)",
                entry.path().display(),
                bytes.len()
            );
            count += 1;
        }
    }
    count
}

/// Runs the images on the full disk, checks the failure, frees the space and checks the re-run.
fn fails_cleanly_then_completes(folder: &Folder, out: &Path, filler: &Path, names: &str) {
    let manifest_before = std::fs::read(out.join(".imaginize.manifest.json")).expect("manifest");
    let full = folder.run(&args(out, &["--images"]));
    full.expect_code(imaginize::exit_code::FAILURE);
    let stderr = full.stderr();
    assert!(stderr.contains("the disk is full"), "{stderr}");
    assert!(
        stderr.contains(names),
        "the message does not name {names}:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        stderr.matches("imaginize: error:").count(),
        1,
        "one message:\n{stderr}"
    );
    let manifest = read_manifest(out).expect("the manifest parses after the failure");
    assert!(
        manifest
            .chapters
            .values()
            .all(|c| c.status != Status::Error),
        "a full disk marked chapters failed: {:?}",
        manifest.chapters
    );
    for chapter in manifest.chapters.values() {
        assert_eq!(
            chapter.scenes_done.len(),
            0,
            "a scene recorded without its file"
        );
    }
    assert!(
        temp_files(out).is_empty(),
        "temp files left: {:?}",
        temp_files(out)
    );
    assert_whole_images(out);
    if names.contains("manifest") {
        assert_eq!(
            std::fs::read(out.join(".imaginize.manifest.json")).expect("manifest"),
            manifest_before,
            "the manifest changed although its write failed"
        );
    }

    std::fs::remove_file(filler).expect("free the space");
    folder.run(&args(out, &["--images"])).expect_code(0);
    let manifest = read_manifest(out).expect("manifest");
    assert!(
        manifest
            .chapters
            .values()
            .all(|c| c.status == Status::IllustrationComplete),
        "{:?}",
        manifest.chapters
    );
    let scenes: usize = manifest
        .chapters
        .values()
        .map(|c| c.concepts as usize)
        .sum();
    assert_eq!(assert_whole_images(out), scenes);
}

/// Room for the manifest and a chapter file but not for an image: the image write fails, the
/// run stops naming it, nothing is recorded without its file.
#[test]
fn a_full_disk_while_writing_an_image_stops_the_run_and_a_rerun_completes() {
    let Some(fs) = Tmpfs::mount(2048) else {
        return;
    };
    let (folder, out) = analyzed_on(&fs);
    // Builtin images are ~28 KB; the manifest and a chapter file fit in a page or two each.
    let filler = fs.fill_leaving(12 * 1024);
    fails_cleanly_then_completes(&folder, &out, &filler, "chapter_");
}

/// No room at all: the first manifest write (the claim) fails; the manifest on disk is the
/// previous version, byte for byte.
#[test]
fn a_full_disk_while_writing_the_manifest_keeps_the_previous_version() {
    let Some(fs) = Tmpfs::mount(2048) else {
        return;
    };
    let (folder, out) = analyzed_on(&fs);
    // Each commit makes the current manifest the `.bak` (a hard link), which frees the previous
    // `.bak`'s pages just before the new version is written: on a full disk the manifest's
    // write fails only when nothing is freed that way, as here (a folder copied without its
    // hidden backup).
    std::fs::remove_file(out.join(".imaginize.manifest.json.bak")).expect("remove .bak");
    let filler = fs.fill_leaving(0);
    fails_cleanly_then_completes(&folder, &out, &filler, ".imaginize.manifest.json");
}
