//! End-to-end tests: the real `imaginize` binary on fixture books, one binary with a module per
//! area.

/// The fluent test case and fixture paths.
mod support;

/// Flags, help, config files and error messages of the command line.
mod cli;

/// The bundled sample book end to end with the builtin provider, then compiled.
mod sample_book;
