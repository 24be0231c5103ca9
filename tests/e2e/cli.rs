//! The command line: help, version, config files, errors and exit codes.

use crate::support::{Run, repo};

#[test]
fn help_lists_the_old_tools_flags() {
    let done = Run::new().args(["--help"]).run().code(0);
    for flag in [
        "--file",
        "--text",
        "--elements",
        "--images",
        "--concurrent",
        "--sequential",
        "--continue",
        "--force",
        "--chapters",
        "--limit",
        "--output-dir",
        "--provider",
        "--base-url",
        "--model",
        "--image-model",
        "--api-key",
        "--image-key",
        "--jobs",
        "--image-jobs",
        "--estimate",
        "--skip-failed",
        "--retry-failed",
        "--clear-errors",
        "--migrate-concurrent",
        "--init-config",
        "--verbose",
        "--quiet",
    ] {
        assert!(done.stdout().contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    Run::new()
        .args(["--version"])
        .run()
        .code(0)
        .stdout_contains(env!("CARGO_PKG_VERSION"));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    Run::new().args(["--frobnicate"]).run().code(2).no_panic();
}

#[test]
fn init_config_writes_a_sample_and_refuses_to_overwrite() {
    let done = Run::new().args(["--init-config"]).run().code(0);
    let written = std::fs::read_to_string(done.dir.join(".imaginize.config")).expect("written");
    assert!(written.contains("pagesPerImage"));
    let again = Run::new()
        .file(".imaginize.config", "model: mine\n")
        .args(["--init-config"])
        .run()
        .code(2)
        .stderr_contains("already exists");
    let kept = std::fs::read_to_string(again.dir.join(".imaginize.config")).expect("kept");
    assert_eq!(kept, "model: mine\n");
}

#[test]
fn malformed_config_names_file_line_and_column() {
    Run::new()
        .file(".imaginize.config", "{\n  \"model\": \"x\",\n  oops\n}\n")
        .file("book.txt", "Chapter 1\n\nSome text.\n")
        .args(["--file", "book.txt"])
        .run()
        .code(2)
        .stderr_contains(".imaginize.config:3:")
        .no_panic();
}

#[test]
fn unknown_config_key_is_warned_with_the_file() {
    let done = Run::new()
        .file(".imaginize.config", "modle: gpt-4o\n")
        .file("book.txt", "Chapter 1\n\nSome text.\n")
        .args(["--file", "book.txt"])
        .run();
    let stderr = done.stderr();
    assert!(stderr.contains("unknown key `modle`"), "{stderr}");
    assert!(stderr.contains(".imaginize.config"), "{stderr}");
}

#[test]
fn missing_book_is_a_clear_error() {
    Run::new()
        .args(["--file", "nope.epub"])
        .run()
        .code(2)
        .stderr_contains("nope.epub")
        .no_panic();
}

#[test]
fn no_book_in_folder_says_so() {
    Run::new()
        .run()
        .code(2)
        .stderr_contains("no unfinished book")
        .no_panic();
}

#[test]
fn bad_chapter_range_is_a_usage_error() {
    Run::new()
        .file("book.txt", "Chapter 1\n\nSome text.\n")
        .args(["--file", "book.txt", "--chapters", "5-2"])
        .run()
        .code(2)
        .stderr_contains("invalid chapter range");
}

#[test]
fn hosted_provider_without_key_fails_before_anything_else() {
    Run::new()
        .file("book.txt", "Chapter 1\n\nSome text.\n")
        .args(["--file", "book.txt", "--provider", "gemini"])
        .run()
        .code(2)
        .stderr_contains("GEMINI_API_KEY");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn migrate_concurrent_converts_an_old_folder_once() {
    let run = Run::new();
    let old = run.dir().join("old");
    copy_dir(&repo().join("tests/fixtures/migrate/era2"), &old);
    let done = run
        .args(["--migrate-concurrent", "--output-dir", "old"])
        .run()
        .code(0)
        .no_panic()
        .stderr_contains("migrated");
    let manifest = done.dir.join("old/.imaginize.manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest written");
    let json: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
    assert_eq!(json["version"], "3.1.0", "{text}");
    assert!(done.dir.join("old/.imaginize.state.json.backup").exists());
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_imaginize"))
        .current_dir(&done.dir)
        .args(["--migrate-concurrent", "--output-dir", "old"])
        .output()
        .expect("runs");
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing changed"));
    assert_eq!(std::fs::read_to_string(&manifest).expect("manifest"), text);
}

#[test]
fn migrate_concurrent_names_the_field_it_cannot_understand() {
    let run = Run::new();
    copy_dir(
        &repo().join("tests/fixtures/migrate/bad-field"),
        &run.dir().join("bad"),
    );
    let done = run
        .args(["--migrate-concurrent", "--output-dir", "bad"])
        .run()
        .no_panic();
    assert_ne!(done.output.status.code(), Some(0));
    assert!(!done.dir.join("bad/.imaginize.manifest.json").exists());
    assert!(done.stderr().contains("phases"), "{}", done.stderr());
}

/// A tiny book of two chapters, enough for a builtin run.
fn tiny_book() -> String {
    let prose = "Jane walked across the green field in the bright morning sun. ".repeat(20);
    format!("Tiny\n\nChapter 1\n\n{prose}\n\nChapter 2\n\n{prose}\n")
}

#[test]
fn compile_finds_the_book_from_the_manifest_wherever_it_was_given() {
    // The book sits in books/, the output folder in out/here: neither beside the folder nor in
    // the working directory of the later compile, which only the recorded path can find.
    let made = Run::new()
        .file("books/tiny.txt", tiny_book())
        .args([
            "--file",
            "books/tiny.txt",
            "--output-dir",
            "out/here",
            "--text",
            "-q",
        ])
        .run()
        .code(0);
    let out = made.dir.join("out/here");
    Run::new()
        .args([
            "compile",
            "--output-dir",
            out.to_str().unwrap_or_default(),
            "--epub",
            "-q",
        ])
        .run()
        .code(0)
        .no_panic();
    assert!(out.join("tiny-illustrated.epub").is_file());
}
