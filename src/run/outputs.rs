//! `imaginize render` and `imaginize compile`: work on an output folder's saved state, no model
//! is called.

use crate::cli::{CaptionArg, CompileArgs, FormatArgs, LayoutArg, PageSizeArg, RenderArgs};
use crate::compile::pdf::{CaptionStyle, Layout, PageSize, PdfOptions};
use crate::compile::{self, CompileReport, Formats};
use crate::error::Error;
use crate::pipeline::outputs::{SceneCache, render_all};
use crate::report::Reporter;
use crate::report::plural;
use crate::run::default_output_dir;
use crate::store;
use crate::store::layout::{CHAPTERS_MD, CONTENTS_MD, ELEMENTS_MD};
use std::path::{Path, PathBuf};

pub fn render(args: &RenderArgs, reporter: &Reporter) -> Result<(), Error> {
    require_manifest(&args.output_dir)?;
    let state = store::folder_state(&args.output_dir, store::DEFAULT_LOCK_TIMEOUT)?;
    let rendered = render_all(
        state.as_ref(),
        &args.output_dir,
        &mut SceneCache::default(),
        true,
    )?;
    let elements = if rendered.elements {
        format!(" and {ELEMENTS_MD}")
    } else {
        String::new()
    };
    reporter.info(&format!(
        "rendered {CHAPTERS_MD} ({}) and {CONTENTS_MD}{elements} in `{}`",
        plural(rendered.chapters, "chapter"),
        args.output_dir.display()
    ));
    Ok(())
}

pub fn compile_command(args: &CompileArgs, cwd: &Path, reporter: &Reporter) -> Result<(), Error> {
    let (book_path, out) = locate(args.file.as_deref(), args.output_dir.as_deref(), cwd)?;
    let formats = formats(&args.formats).unwrap_or_else(|| Formats {
        pdf: Some(pdf_options(&args.formats)),
        ..Formats::all()
    });
    compile_folder(&out, &book_path, formats, reporter)
}

/// The formats the flags ask for; `None` when no flag is given.
pub fn formats(flags: &FormatArgs) -> Option<Formats> {
    let pdf = (flags.pdf || flags.all).then(|| pdf_options(flags));
    if flags.all {
        return Some(Formats {
            pdf,
            ..Formats::all()
        });
    }
    let f = Formats {
        epub: flags.epub,
        html: flags.html,
        cbz: flags.cbz,
        pdf,
    };
    (f != Formats::default()).then_some(f)
}

fn pdf_options(flags: &FormatArgs) -> PdfOptions {
    let layout = match flags.layout {
        LayoutArg::Book => Layout::Book,
        LayoutArg::Grid1x1 => Layout::Grid { cols: 1, rows: 1 },
        LayoutArg::Grid2x2 => Layout::Grid { cols: 2, rows: 2 },
        LayoutArg::Grid4x1 => Layout::Grid { cols: 4, rows: 1 },
        LayoutArg::Grid6x2 => Layout::Grid { cols: 6, rows: 2 },
    };
    let caption = match flags.caption_style {
        CaptionArg::Below => CaptionStyle::Below,
        CaptionArg::Overlay => CaptionStyle::Overlay,
        CaptionArg::None => CaptionStyle::None,
    };
    let page_size = match flags.page_size {
        PageSizeArg::A4 => PageSize::A4,
        PageSizeArg::A5 => PageSize::A5,
        PageSizeArg::Letter => PageSize::Letter,
        PageSizeArg::Legal => PageSize::Legal,
    };
    PdfOptions {
        layout,
        caption,
        page_size,
        toc: !flags.no_toc,
        cast: !flags.no_cast,
        font: flags.font.clone(),
    }
}

/// Builds `formats` from the output folder `out` of `book_path` and reports what was written.
pub fn compile_folder(
    out: &Path,
    book_path: &Path,
    formats: Formats,
    reporter: &Reporter,
) -> Result<(), Error> {
    let book = crate::book::load(book_path)?;
    let report = compile::compile(out, &book, book_path, formats)?;
    reporter.info(&describe(&report));
    Ok(())
}

fn describe(report: &CompileReport) -> String {
    let files: Vec<String> = report
        .written
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let unreadable = match report.undecodable {
        0 => String::new(),
        n => format!(
            "; {} left out of the PDF because their files are not images",
            plural(n, "image")
        ),
    };
    let set_aside = match report.set_aside {
        0 => String::new(),
        n => format!(", {} rejected in review", plural(n, "scene")),
    };
    format!(
        "compiled {} into {}; {} not illustrated yet, {} refused by the provider{set_aside}{unreadable}",
        plural(report.images, "image"),
        files.join(", "),
        plural(report.missing, "scene"),
        report.rejected
    )
}

/// The book and the output folder from the flags, the manifest and the usual places.
pub(super) fn locate(
    file: Option<&Path>,
    output_dir: Option<&Path>,
    cwd: &Path,
) -> Result<(PathBuf, PathBuf), Error> {
    let absolute = |p: &Path| cwd.join(p);
    match (file, output_dir) {
        (Some(file), out) => {
            let file = absolute(file);
            let out = out
                .map(absolute)
                .unwrap_or_else(|| cwd.join(default_output_dir(&file)));
            require_manifest(&out)?;
            Ok((file, out))
        }
        (None, Some(out)) => {
            let out = absolute(out);
            let book = require_manifest(&out)?.book;
            let name = book.file.clone();
            let recorded = (!book.path.is_empty()).then(|| PathBuf::from(&book.path));
            let beside = out.parent().map(|p| p.join(&name));
            let candidates = [recorded, beside, Some(cwd.join(&name))];
            let found = candidates
                .into_iter()
                .flatten()
                .find(|p| p.is_file() && is_the_book(p, &book.sha256));
            let file = found.ok_or_else(|| {
                Error::Usage(format!(
                    "cannot find `{name}`, the book of `{}`; pass it with --file",
                    out.display()
                ))
            })?;
            Ok((file, out))
        }
        (None, None) => Err(Error::Usage(
            "tell compile which book: --file <book> and/or --output-dir <folder>".into(),
        )),
    }
}

/// Whether `path` holds the book the folder was made from: same sha256, when the manifest
/// knows it (a file of the same name may be another edition).
fn is_the_book(path: &Path, sha256: &str) -> bool {
    use sha2::{Digest, Sha256};
    sha256.is_empty()
        || std::fs::read(path).is_ok_and(|bytes| format!("{:x}", Sha256::digest(&bytes)) == sha256)
}

pub(super) fn require_manifest(out: &Path) -> Result<store::Manifest, Error> {
    Ok(store::existing_folder(out)?.1)
}

/// `--migrate-concurrent [--output-dir D]`: converts the old tool's state file in D (or here).
pub fn migrate(output_dir: Option<&Path>, cwd: &Path, reporter: &Reporter) -> Result<(), Error> {
    let dir = output_dir.map_or_else(|| cwd.to_path_buf(), |d| cwd.join(d));
    let report = crate::migrate::migrate_folder(&dir)?;
    for note in &report.notes {
        reporter.warn(note);
    }
    if report.already_migrated {
        reporter.info(&format!(
            "`{}` already has a manifest; nothing changed (the old state is kept as `{}`)",
            dir.display(),
            report.backup.display()
        ));
        return Ok(());
    }
    reporter.info(&format!(
        "migrated `{}`: {} illustrated, {} analyzed, {} to analyze, {} failed, {} images adopted; the old file is kept as `{}`. Run imaginize on the book to continue.",
        report.source.display(),
        report.illustrated.len(),
        report.analyzed.len(),
        report.pending.len(),
        report.failed.len(),
        report.images_adopted,
        report.backup.display()
    ));
    Ok(())
}
