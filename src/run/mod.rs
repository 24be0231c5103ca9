//! `run`: parse result in, exit status out. Picks the job from the flags (inspect, init-config,
//! migrate, render, scenes, regenerate, the main run) and hands it the resolved options and a reporter.

mod book_choice;
mod estimate;
mod failure;
mod inspect;
pub(crate) mod job;
mod outputs;
mod review;
mod series;
mod style;

pub use book_choice::{default_output_dir, pick_book};
pub use failure::Failure;

use crate::cli::{Args, Command};
use crate::config::{self, Environment, Verbosity};
use crate::report::Reporter;

/// Runs what the command line asks for.
pub fn run(args: Args) -> Result<(), Failure> {
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
pub fn run_with(args: Args, reporter: &Reporter, env: &Environment) -> Result<(), Failure> {
    match args.command {
        Some(Command::Inspect(inspect)) => Ok(inspect::run(&inspect, reporter)?),
        Some(Command::Render(render)) => Ok(outputs::render(&render, reporter)?),
        Some(Command::Compile(compile)) => {
            Ok(outputs::compile_command(&compile, &env.cwd, reporter)?)
        }
        Some(Command::Scenes(scenes)) => review::scenes(&scenes, &env.cwd, reporter),
        Some(Command::Regenerate(redraw)) => review::regenerate(&redraw, reporter, env),
        Some(Command::Style(style)) => Ok(style::run(&style, reporter, env)?),
        Some(Command::Series(series)) => Ok(series::run(&series, &env.cwd, reporter)?),
        Some(Command::Serve(serve)) => Ok(crate::serve::run(&serve, &env.cwd, reporter)?),
        Some(Command::Submit(submit)) => Ok(crate::scale::submit::run(&submit, reporter, env)?),
        Some(Command::Worker(worker)) => Ok(crate::scale::worker::run(
            worker,
            reporter,
            env,
            reporter.verbosity(),
        )?),
        Some(Command::Status(status)) => Ok(crate::scale::status::run(&status, reporter, env)?),
        Some(Command::Export(export)) => Ok(crate::scale::export::run(&export, reporter, env)?),
        None if args.run.init_config => {
            let path = config::write_sample(&env.cwd)?;
            reporter.info(&format!(
                "wrote a commented sample config to `{}`",
                path.display()
            ));
            Ok(())
        }
        None if args.run.migrate_concurrent => Ok(outputs::migrate(
            args.run.output_dir.as_deref(),
            &env.cwd,
            reporter,
        )?),
        None => job::main_job(&args.run, reporter, env, reporter.verbosity()),
    }
}
