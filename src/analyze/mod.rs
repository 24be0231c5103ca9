//! Pass 1 (entities), element merging, `ElementsLookup`, pass 2 (scenes) and quote
//! verification. Must not render Markdown.

pub mod budget;
pub mod chunks;
pub mod model;
pub mod quotes;

pub use quotes::{QuoteCheck, verify};
pub mod entities_json;
pub mod scenes_json;

pub use entities_json::{RawEntity, parse_entities};
pub use scenes_json::{RawScene, parse_scenes};
pub mod lookup;
pub mod merge;
pub mod names;
pub mod prompts;

pub use lookup::ElementsLookup;
