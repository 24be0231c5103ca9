//! The `imaginize` binary: parse the flags, run, print the error once, exit with its code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = imaginize::cli::Args::parse();
    match imaginize::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("imaginize: error: {}", err.display_chain());
            ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(1))
        }
    }
}
