//! Prompt assembly and the claim → generate → record loop with heartbeats. Must not decide
//! chapter order beyond what the manifest gives.

pub mod adopt;
mod decide;
pub mod portraits;
pub mod prompt;
pub mod worker;
