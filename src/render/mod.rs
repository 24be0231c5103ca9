//! Elements.md, Chapters.md and Contents.md rendered from JSON state, and report.html from a
//! run's events: pure functions, state in, text out.

pub mod chapters_md;
pub mod contents_md;
pub mod elements_edit;
pub mod elements_md;
pub mod markup;
pub mod report_html;

pub use chapters_md::chapters_md;
pub use contents_md::{ChapterRow, ContentsView, contents_md};
pub use elements_md::{
    elements_md, elements_md_with_portraits, insert_cards, replace_style_section,
};
