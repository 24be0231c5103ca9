//! `imaginize export`: a queued book's state and files written as the output folder a local run
//! writes (the manifest, entities/, chapters/, images/, elements.json, style.json, Elements.md,
//! then Chapters.md and Contents.md rendered), so `compile`, `render`, `serve`, `scenes` work
//! on it. The book file goes to `source/` and the manifest points at it.

use super::{ExportArgs, SOURCE_DIR, book_artifacts, local_files::LOCAL_FILES, source_key};
use crate::analyze::model::note_scene;
use crate::config::Environment;
use crate::error::Error;
use crate::pipeline::outputs::{SceneCache, render_all};
use crate::report::Reporter;
use crate::store::artifacts::{Artifacts, Key};
use crate::store::{self, BookState, Manifest, PgState, SceneOutcome, atomic, layout};
use std::path::Path;
use std::time::Duration;

/// The folders of a book's artifacts that an output folder has.
const FOLDERS: [&str; 3] = [
    layout::ENTITIES_DIR,
    layout::CHAPTERS_DIR,
    layout::IMAGES_DIR,
];

pub fn run(args: &ExportArgs, reporter: &Reporter, env: &Environment) -> Result<(), Error> {
    let queue = args.stores.queue(env)?;
    let root = args.stores.artifacts_url(env)?;
    let queued = queue
        .book(&args.book)?
        .ok_or_else(|| Error::Usage(format!("no book `{}` in the queue", args.book)))?;
    let state = PgState::open(&args.stores.store_url(env)?, &queued.id)?;
    let mut manifest = state.snapshot()?.ok_or_else(|| {
        Error::Usage(format!(
            "book {} has no state yet: no worker has started it",
            queued.id
        ))
    })?;
    let out = env.cwd.join(&args.output_dir);
    refuse_another_book(&out, &manifest)?;
    let artifacts = book_artifacts(&root, &queued.id)?;
    let copied = copy_files(&artifacts, &out)?;
    let book_key = source_key(&queued.file_name)?;
    let book_path = out.join(SOURCE_DIR).join(&queued.file_name);
    if let Some(bytes) = artifacts.get(&book_key)? {
        atomic::write_creating_folder(&book_path, &bytes)?;
        manifest.book.path = book_path.display().to_string();
    }
    note_outcomes(&out, &manifest)?;
    let json = serde_json::to_vec_pretty(&manifest).map_err(|source| Error::Encode {
        what: "the manifest",
        source,
    })?;
    atomic::write(&layout::manifest_path(&out), &json)?;
    let folder = store::folder_state(&out, Duration::from_secs(30))?;
    render_all(folder.as_ref(), &out, &mut SceneCache::default(), true)?;
    reporter.info(&format!(
        "exported book {} ({} files) to `{}` ({})",
        queued.id,
        copied,
        out.display(),
        queued.status
    ));
    Ok(())
}

/// A folder that holds another book's manifest is not overwritten.
fn refuse_another_book(out: &Path, manifest: &Manifest) -> Result<(), Error> {
    let Ok(bytes) = std::fs::read(layout::manifest_path(out)) else {
        return Ok(());
    };
    let theirs: Option<Manifest> = serde_json::from_slice(&bytes).ok();
    match theirs {
        Some(theirs) if theirs.book_id == manifest.book_id => Ok(()),
        _ => Err(Error::Usage(format!(
            "`{}` already holds another book's output; export into a new folder",
            out.display()
        ))),
    }
}

/// Copies the book's artifacts into `out`; returns how many files.
fn copy_files(artifacts: &dyn Artifacts, out: &Path) -> Result<usize, Error> {
    let mut keys = Vec::new();
    for folder in FOLDERS {
        keys.extend(artifacts.list(&Key::new(folder)?)?);
    }
    keys.extend(
        LOCAL_FILES
            .iter()
            .map(|name| Key::new(*name))
            .collect::<Result<Vec<_>, _>>()?,
    );
    let mut copied = 0;
    for key in keys {
        if let Some(bytes) = artifacts.get(&key)? {
            let path = key
                .as_str()
                .split('/')
                .fold(out.to_path_buf(), |p, s| p.join(s));
            atomic::write_creating_folder(&path, &bytes)?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// Writes each finished scene's outcome (its image, or the provider's refusal) into its
/// chapter's file, as the worker that drew it did in its own folder.
fn note_outcomes(out: &Path, manifest: &Manifest) -> Result<(), Error> {
    for (chapter, state) in &manifest.chapters {
        for scene in &state.scenes_done {
            let outcome = match state.rejected.get(scene) {
                Some(reason) => SceneOutcome::Rejected(reason.clone()),
                None => match image_of(out, *chapter, *scene) {
                    Some(relative) => SceneOutcome::Image(relative),
                    None => continue,
                },
            };
            note_scene(out, *chapter, *scene, &outcome)?;
        }
    }
    Ok(())
}

/// The first version of a scene's image in `out/images`, by any of the image extensions.
fn image_of(
    out: &Path,
    chapter: crate::ids::ChapterNo,
    scene: crate::ids::SceneNo,
) -> Option<String> {
    ["png", "jpg", "webp"].iter().find_map(|ext| {
        let relative = layout::image_file_name(chapter, scene, ext);
        out.join(&relative).is_file().then_some(relative)
    })
}
