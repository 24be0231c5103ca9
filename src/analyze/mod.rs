//! Pass 1 (entities), element merging, `ElementsLookup`, pass 2 (scenes) and quote
//! verification. Must not render Markdown.

pub mod budget;
pub mod cards;
pub mod chunks;
pub mod entities_json;
pub mod lookup;
pub mod merge;
pub mod model;
pub mod names;
pub mod prompts;
pub mod quotes;
pub mod reference_quotes;
pub mod scenes_json;

pub use entities_json::{RawEntity, parse_entities};
pub use lookup::ElementsLookup;
pub use quotes::{QuoteCheck, verify};
pub use scenes_json::{RawScene, parse_scenes};
pub mod entities;
pub mod scenes;
