//! Sequential and concurrent orchestration, wake-ups, shutdown and progress. Contains no format
//! or provider code.
pub mod wake;
