//! Orchestration: analysis and illustration one after the other (sequential) or at once
//! (concurrent), coordinated only through the manifest, with wake-ups, progress, coalesced
//! renders and graceful shutdown.

pub mod analysis;
pub mod context;
mod decide;
pub mod looks;
pub mod orchestrate;
pub mod outputs;
pub mod prepare;
pub mod progress;
mod queue;
pub mod renderer;
pub mod run_report;
mod series;
pub mod shutdown;
pub mod timed;
mod turns;
pub mod wake;
