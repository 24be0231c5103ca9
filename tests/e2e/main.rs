//! End-to-end tests: the real `imaginize` binary on fixture books, one binary with a module per
//! area.

/// The fluent test case and fixture paths.
mod support;

/// The fake OpenAI-compatible server shared with the example and the benchmarks.
#[path = "../support/fake_openai.rs"]
#[expect(dead_code, reason = "not every helper of the fake is used here")]
mod fake_openai;

/// Child processes, the fake on its own runtime, generated books and output readers.
mod harness;

/// Flags, help, config files and error messages of the command line.
mod cli;

/// `inspect` on the MOBI, AZW3, DOCX and HTML editions of a novel; DRM and broken Kindle books.
mod formats;

/// Edge cases: unwritable output, front matter only, refused key.
mod edge;

/// Quote verification, JSON repair, prompts, concurrent overlap, sequential = concurrent.
mod pipeline;

/// A full disk on a real (tmpfs) filesystem.
mod disk_full;

/// Liveness of other workers, waiting for them, signals.
mod liveness;

/// Several processes on one output folder.
mod processes;

/// Resuming after kill -9.
mod resume;

/// The bundled sample book end to end with the builtin provider, then compiled.
mod sample_book;

/// The illustrated PDF: `--pdf` on the main command and with `compile`, bad flag values.
mod pdf;

/// `scenes`, `regenerate` (versions, choose, reject, races) and report.html.
mod review;
/// A raw HTTP client and `imaginize serve` started in the background.
mod serve_http;
/// The style guide and the appearance cards in Elements.md and in every image prompt.
mod style;

/// Reference portraits: drawn once across processes, awaited by the scenes that show them.
mod portraits;

/// `imaginize serve`: routes, security, the event stream, the actions.
mod serve;

/// The dashboard in headless chromium driven over WebDriver: live updates, the cast editor.
mod serve_browser;

/// A series of two books sharing the cast, the cards and the style.
mod series;

/// One look across a book's scenes at the model: the seed, the reference pictures.
mod consistency;
