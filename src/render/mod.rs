//! Elements.md, Chapters.md and Contents.md rendered from JSON state: pure functions, state in,
//! text out.
