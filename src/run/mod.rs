//! `run`: parse result in, exit status out. Picks the job from the flags (inspect, init-config,
//! migrate, render, the main run) and hands it the resolved options and a reporter.

mod book_choice;
mod inspect;

pub use book_choice::{default_output_dir, pick_book};

use crate::cli::{Args, Command};
use crate::config::{self, Environment, Verbosity};
use crate::error::Error;
use crate::report::Reporter;

/// Runs what the command line asks for.
pub fn run(args: Args) -> Result<(), Error> {
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else if args.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let reporter = Reporter::console(verbosity);
    let env = Environment::from_process();
    run_with(args, &reporter, &env)
}

/// `run` with the environment and reporter passed in (tests pass their own).
pub fn run_with(args: Args, reporter: &Reporter, env: &Environment) -> Result<(), Error> {
    match args.command {
        Some(Command::Inspect(inspect)) => inspect::run(&inspect, reporter),
        Some(Command::Render(_)) => Err(Error::NotImplemented {
            feature: "`imaginize render`",
        }),
        None if args.run.init_config => {
            let path = config::write_sample(&env.cwd)?;
            reporter.info(&format!(
                "wrote a commented sample config to `{}`",
                path.display()
            ));
            Ok(())
        }
        None if args.run.migrate_concurrent => Err(Error::NotImplemented {
            feature: "--migrate-concurrent",
        }),
        None => main_job(&args.run, reporter, env, reporter.verbosity()),
    }
}

fn main_job(
    run_args: &crate::cli::RunArgs,
    reporter: &Reporter,
    env: &Environment,
    verbosity: Verbosity,
) -> Result<(), Error> {
    let resolved = config::resolve(run_args, verbosity, env)?;
    for warning in &resolved.warnings {
        reporter.warn(warning);
    }
    let options = resolved.options;
    let book_path = match &options.book {
        Some(path) => path.clone(),
        None => {
            let path = pick_book(&env.cwd)?;
            reporter.info(&format!(
                "using `{}` (pass --file to choose another book)",
                path.display()
            ));
            path
        }
    };
    let book = crate::book::load(&book_path)?;
    for warning in &book.warnings {
        reporter.warn(warning);
    }
    for notice in &resolved.notices {
        reporter.info(notice);
    }
    if options.estimate {
        return Err(Error::NotImplemented {
            feature: "--estimate",
        });
    }
    Err(Error::NotImplemented {
        feature: "the analysis and illustration pipeline",
    })
}
