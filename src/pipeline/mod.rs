//! Sequential and concurrent orchestration, wake-ups, shutdown and progress. Contains no format
//! or provider code.
pub mod progress;
pub mod shutdown;
pub mod wake;
