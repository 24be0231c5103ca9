//! `imaginize inspect <book> [--json]`: what will be processed.

use crate::book::{self, Book};
use crate::cli::InspectArgs;
use crate::error::Error;
use crate::report::Reporter;
use std::fmt::Write;

pub fn run(args: &InspectArgs, reporter: &Reporter) -> Result<(), Error> {
    let book = book::load(&args.book)?;
    for warning in &book.warnings {
        reporter.warn(warning);
    }
    if args.json {
        let json = serde_json::json!({
            "title": book.title,
            "author": book.author,
            "language": book.language,
            "format": book.format,
            "story_chapters": book.story_chapters().count(),
            "chapters": book.chapters,
        });
        let text = serde_json::to_string_pretty(&json).map_err(|e| Error::Usage(e.to_string()))?;
        reporter.output(&format!("{text}\n"));
    } else {
        reporter.output(&table(&book));
    }
    Ok(())
}

fn table(book: &Book) -> String {
    let mut out = String::new();
    let story = book.story_chapters().count();
    let words: usize = book.story_chapters().map(|c| c.word_count).sum();
    let _ = writeln!(out, "{}", book.title);
    if let Some(author) = &book.author {
        let _ = writeln!(out, "by {author}");
    }
    let _ = writeln!(
        out,
        "{story} story chapters, {} other sections, {words} words of story\n",
        book.chapters.len() - story
    );
    let title_width = book
        .chapters
        .iter()
        .map(|c| c.title.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    let _ = writeln!(
        out,
        "{:>4}  {:<title_width$}  {:>7}  {:<5}  key",
        "#", "title", "words", "story"
    );
    for chapter in &book.chapters {
        let number = chapter
            .number
            .map_or_else(|| "-".to_string(), |n| n.to_string());
        let title: String = chapter.title.chars().take(title_width).collect();
        let story = if chapter.is_story { "yes" } else { "no" };
        let _ = writeln!(
            out,
            "{number:>4}  {title:<title_width$}  {:>7}  {story:<5}  {}",
            chapter.word_count, chapter.key
        );
    }
    out
}
