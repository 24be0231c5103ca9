//! `imaginize series init | add | show`: the series folder on the command line.

use crate::cli::SeriesCommand;
use crate::error::Error;
use crate::report::{Reporter, plural};
use crate::series::Series;
use std::fmt::Write;
use std::path::Path;

pub fn run(command: &SeriesCommand, cwd: &Path, reporter: &Reporter) -> Result<(), Error> {
    match command {
        SeriesCommand::Init { dir, name } => {
            let series = Series::init(&cwd.join(dir), name.as_deref())?;
            let (file, cast) = series.read()?;
            reporter.info(&format!(
                "series \"{}\" in `{}`: {}, {}",
                file.name,
                dir.display(),
                plural(file.books.len(), "book"),
                plural(cast.elements.len(), "element")
            ));
        }
        SeriesCommand::Add { dir, books } => {
            let series = Series::open(&cwd.join(dir))?;
            for path in books {
                let book = series.add_book(&cwd.join(path))?;
                reporter.output(&format!(
                    "{}. {} ({})\n",
                    book.order,
                    book.title,
                    &book.id[..12.min(book.id.len())]
                ));
            }
        }
        SeriesCommand::Show { dir, json } => {
            let (file, cast) = Series::open(&cwd.join(dir))?.read()?;
            if *json {
                let both = serde_json::json!({ "series": file, "cast": cast });
                let text = serde_json::to_string_pretty(&both).map_err(|source| Error::Encode {
                    what: "the series",
                    source,
                })?;
                reporter.output(&format!("{text}\n"));
            } else {
                reporter.output(&show(&file, &cast));
            }
        }
    }
    Ok(())
}

fn show(file: &crate::series::SeriesFile, cast: &crate::series::SeriesCast) -> String {
    let mut out = format!("{}\n", file.name);
    for book in &file.books {
        let _ = writeln!(out, "  {}. {}", book.order, book.title);
    }
    let _ = writeln!(out, "{}:", plural(cast.elements.len(), "element"));
    for e in &cast.elements {
        let card = if e.appearance.is_empty() {
            "no card"
        } else {
            "card"
        };
        let portrait = if e.portrait.is_some() {
            "; portrait"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} ({}; first in {}, chapter {}; {card}{portrait}; {})",
            e.name,
            crate::analyze::lookup::kind_word(e.kind),
            e.first_book,
            e.first_chapter,
            plural(e.details.len(), "detail")
        );
    }
    out
}
