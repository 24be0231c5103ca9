//! Contents.md: title, author, chapter table with status and counts, links to the other files.

use std::fmt::Write;

/// One row of the chapter table.
#[derive(Debug, Clone, PartialEq)]
pub struct ChapterRow {
    pub number: u32,
    pub title: String,
    pub status: String,
    pub scenes: usize,
    pub images: usize,
}

/// Everything Contents.md shows; the caller builds it from the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentsView {
    pub title: String,
    pub author: Option<String>,
    pub chapters: Vec<ChapterRow>,
    /// `(label, relative path)` of the other outputs, e.g. `("Elements", "Elements.md")`.
    pub links: Vec<(String, String)>,
}

/// Renders Contents.md.
pub fn contents_md(view: &ContentsView) -> String {
    let mut out = format!("# {}\n\n", view.title);
    if let Some(author) = &view.author {
        let _ = writeln!(out, "**Author:** {author}\n");
    }
    if !view.links.is_empty() {
        for (label, path) in &view.links {
            let _ = writeln!(out, "- [{label}]({path})");
        }
        out.push('\n');
    }
    out.push_str(
        "## Chapters\n\n| # | Title | Status | Scenes | Images |\n|---|---|---|---|---|\n",
    );
    for row in &view.chapters {
        let title = row.title.replace('|', "\\|");
        let _ = writeln!(
            out,
            "| {} | {title} | {} | {} | {} |",
            row.number, row.status, row.scenes, row.images
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_table_and_links() {
        let view = ContentsView {
            title: "Pride and Prejudice".into(),
            author: Some("Jane Austen".into()),
            chapters: vec![ChapterRow {
                number: 1,
                title: "Chapter I | start".into(),
                status: "illustrated".into(),
                scenes: 2,
                images: 1,
            }],
            links: vec![("Elements".into(), "Elements.md".into())],
        };
        let expected = "# Pride and Prejudice\n\n**Author:** Jane Austen\n\n- [Elements](Elements.md)\n\n\
## Chapters\n\n| # | Title | Status | Scenes | Images |\n|---|---|---|---|---|\n\
| 1 | Chapter I \\| start | illustrated | 2 | 1 |\n";
        assert_eq!(contents_md(&view), expected);
    }
}
