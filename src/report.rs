//! `Reporter`: where every message for the user goes (console or a collector in tests). No other
//! library code prints.

use crate::config::Verbosity;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Sends messages to the user according to the verbosity. Clones share the same sink.
#[derive(Debug, Clone)]
pub struct Reporter {
    verbosity: Verbosity,
    sink: Sink,
}

#[derive(Debug, Clone)]
enum Sink {
    Console,
    /// Lines kept for tests. A std `Mutex`: never held across an `.await`.
    Collect(Arc<Mutex<Vec<String>>>),
}

impl Reporter {
    /// Prints to stderr (results such as `inspect` output go to stdout through `output`).
    pub fn console(verbosity: Verbosity) -> Self {
        Reporter {
            verbosity,
            sink: Sink::Console,
        }
    }

    /// Keeps every line for inspection.
    pub fn collector(verbosity: Verbosity) -> Self {
        Reporter {
            verbosity,
            sink: Sink::Collect(Arc::new(Mutex::new(Vec::new()))),
        }
    }

    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// A normal message (hidden by --quiet).
    pub fn info(&self, message: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.emit(message);
        }
    }

    /// A message only --verbose shows.
    pub fn verbose(&self, message: &str) {
        if self.verbosity == Verbosity::Verbose {
            self.emit(message);
        }
    }

    /// A warning (hidden by --quiet).
    pub fn warn(&self, message: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.emit(&format!("warning: {message}"));
        }
    }

    /// Always shown: errors and the final summary.
    pub fn always(&self, message: &str) {
        self.emit(message);
    }

    /// The command's result (stdout), e.g. `inspect`'s table.
    pub fn output(&self, text: &str) {
        match &self.sink {
            Sink::Console => {
                let mut stdout = std::io::stdout().lock();
                // A closed pipe (`| head`) is not an error worth reporting.
                let _ = stdout.write_all(text.as_bytes());
                let _ = stdout.flush();
            }
            Sink::Collect(lines) => push(lines, text),
        }
    }

    /// Lines collected so far (empty for the console).
    pub fn collected(&self) -> Vec<String> {
        match &self.sink {
            Sink::Console => Vec::new(),
            Sink::Collect(lines) => lines.lock().map(|l| l.clone()).unwrap_or_default(),
        }
    }

    fn emit(&self, message: &str) {
        match &self.sink {
            Sink::Console => eprintln!("{message}"),
            Sink::Collect(lines) => push(lines, message),
        }
    }
}

fn push(lines: &Mutex<Vec<String>>, text: &str) {
    if let Ok(mut lines) = lines.lock() {
        lines.push(text.to_string());
    }
}

/// "1 chapter", "3 chapters": a count with its noun, in the plural unless it is one.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
