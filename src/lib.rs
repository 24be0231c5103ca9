//! imaginize turns a book (EPUB, MOBI/AZW3, PDF, DOCX, HTML, plain text) into an illustration
//! guide and its illustrations.
//!
//! The parts, in the order data flows through them (docs/ARCHITECTURE.md §2):
//! - [`book`] reads the book into chapters;
//! - [`analyze`] finds the cast (pass 1) and the most visual scenes (pass 2);
//! - [`illustrate`] claims analyzed chapters and draws their scenes;
//! - [`pipeline`] runs analysis and illustration one after the other or at once;
//! - [`store`] keeps the manifest, the single source of truth, locked and atomically written;
//! - [`provider`] talks to the models (offline `builtin`, OpenAI-compatible, Gemini);
//! - [`render`] turns state into Elements.md, Chapters.md and Contents.md;
//! - [`compile`] builds the illustrated EPUB, the HTML gallery and the CBZ;
//! - [`review`] lists scenes and redraws, chooses or rejects their images after a run;
//! - [`serve`] is the local web dashboard of output folders;
//! - [`events`] are what happens in a run, as the bars, the report and the dashboard see it;
//! - [`scale`] is the multi-book queue: `submit`, `worker`, `status`, `export`.

pub mod analyze;
pub mod book;
pub mod cli;
pub mod compile;
pub mod config;
pub mod error;
pub mod events;
pub mod exit_code;
pub mod ids;
pub mod illustrate;
pub mod migrate;
pub mod pipeline;
pub mod provider;
pub mod render;
pub mod report;
pub mod review;
pub mod run;
pub mod scale;
pub mod secret;
pub mod series;
pub mod serve;
pub mod store;
pub mod style;
pub use error::Error;
pub use run::run;
