//! What the dashboard may change in a folder: a failed chapter put back in line (through the
//! `BookState` like `--retry-failed`), and one element's description in Elements.md (the file is
//! the source of truth; pass 2 and the illustrators read it back). Blocking: run off the server's
//! threads.

use crate::analyze::lookup::ElementsLookup;
use crate::ids::{ChapterNo, SceneNo};
use crate::render::elements_edit::{self, EditError, Field};
use crate::review::{self, Review};
use crate::store::manifest::Status;
use crate::store::{self, BookState, Store, atomic, layout};
use std::path::Path;

/// Longest description accepted (a paragraph; prompts carry it whole).
pub const MAX_DESCRIPTION: usize = 4000;

/// Why an action was not done; `status` says which HTTP answer it is.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("chapter {0} is not in error")]
    NotFailed(u32),
    #[error("no chapter {0}")]
    NoChapter(u32),
    #[error("the text is empty or longer than {MAX_DESCRIPTION} characters")]
    BadDescription,
    #[error("Elements.md cannot be read: {0}")]
    NoCast(String),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("unknown action, or its field is missing")]
    BadAction,
    #[error("chapter {0} is busy: a worker is drawing it; try again once it is done")]
    Busy(u32),
    #[error(transparent)]
    Review(#[from] review::Error),
    #[error("the redraw failed: {0}")]
    Redraw(String),
}

impl ActionError {
    pub fn status(&self) -> u16 {
        match self {
            ActionError::NotFailed(_)
            | ActionError::Busy(_)
            | ActionError::Edit(EditError::NameMismatch { .. }) => 409,
            ActionError::NoChapter(_) | ActionError::Edit(EditError::NoSuchElement { .. }) => 404,
            ActionError::BadDescription | ActionError::BadAction => 400,
            ActionError::Review(err) if err.is_busy() => 409,
            ActionError::Review(review::Error::Usage(_)) => 400,
            ActionError::Review(err) if err.is_refusal() => 404,
            ActionError::Review(_) => 500,
            ActionError::NoCast(_) | ActionError::Store(_) | ActionError::Redraw(_) => 500,
        }
    }
}

/// `error → analyzed | pending` for one chapter, as `--retry-failed --chapters N` does: the next
/// run (or a worker waiting for work) takes it up.
pub fn retry_failed(dir: &Path, chapter: u32) -> Result<(), ActionError> {
    let store = Store::open(dir)?;
    let mut outcome = Ok(());
    store.transact(&mut |m| {
        let status = m
            .manifest()?
            .chapters
            .get(&ChapterNo(chapter))
            .map(|c| c.status);
        outcome = match status {
            None => Err(ActionError::NoChapter(chapter)),
            Some(Status::Error) => Ok(()),
            Some(_) => Err(ActionError::NotFailed(chapter)),
        };
        if outcome.is_ok() {
            m.reset_errors(Some(&[ChapterNo(chapter)]))?;
        }
        Ok(())
    })?;
    outcome
}

/// Sets the description of the `index`-th element (named `name`) in Elements.md.
pub fn edit_description(
    dir: &Path,
    index: usize,
    name: &str,
    description: &str,
) -> Result<(), ActionError> {
    edit_field(dir, index, name, Field::Description, description)
}

/// Sets `field` (the description or the appearance card) of the `index`-th element (named
/// `name`) in Elements.md.
pub fn edit_field(
    dir: &Path,
    index: usize,
    name: &str,
    field: Field,
    value: &str,
) -> Result<(), ActionError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_DESCRIPTION {
        return Err(ActionError::BadDescription);
    }
    let path = layout::elements_md_path(dir);
    let text = std::fs::read_to_string(&path).map_err(|e| ActionError::NoCast(e.to_string()))?;
    let edited = elements_edit::set_field(&text, index, name, field, value)?;
    // Never write a file the pipeline could not read back.
    ElementsLookup::parse_markdown(&edited).map_err(|e| ActionError::NoCast(e.to_string()))?;
    atomic::write(&path, edited.as_bytes())?;
    Ok(())
}

/// Makes version `version` of a scene its current image (the review loop's `--use-version`).
pub fn choose_version(
    dir: &Path,
    chapter: u32,
    scene: u32,
    version: u32,
) -> Result<(), ActionError> {
    Review::open(dir)?.choose_version(ChapterNo(chapter), SceneNo(scene), version)?;
    Ok(())
}

/// Rejects a scene, or takes the rejection back (`--reject` / `--unreject`).
pub fn reject(dir: &Path, chapter: u32, scene: u32, rejected: bool) -> Result<(), ActionError> {
    Review::open(dir)?.reject(ChapterNo(chapter), SceneNo(scene), rejected)?;
    Ok(())
}

/// Redraws one scene (`description` first replacing its description) by running this program's
/// own `regenerate` in the server's folder: the configuration, the provider and its key stay
/// where a run finds them and never pass through the server, and the redraw claims the chapter
/// like any illustrator. One paid image request; a chapter a worker holds is `Busy`.
pub fn regenerate(
    dir: &Path,
    chapter: u32,
    scene: u32,
    description: Option<&str>,
) -> Result<(), ActionError> {
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
        return Err(ActionError::BadDescription);
    }
    let program = std::env::current_exe().map_err(|e| ActionError::Redraw(e.to_string()))?;
    let mut command = std::process::Command::new(program);
    command
        .arg("regenerate")
        .arg("--output-dir")
        .arg(dir)
        .args([
            "--chapter",
            &chapter.to_string(),
            "--scene",
            &scene.to_string(),
        ])
        .stdin(std::process::Stdio::null());
    if let Some(text) = description {
        command.args(["--description", text]);
    }
    let ran = command
        .output()
        .map_err(|e| ActionError::Redraw(e.to_string()))?;
    match ran.status.code() {
        Some(0) => Ok(()),
        Some(crate::exit_code::BUSY) => Err(ActionError::Busy(chapter)),
        _ => {
            let stderr = String::from_utf8_lossy(&ran.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
            Err(ActionError::Redraw(
                last.unwrap_or("no message").trim().to_owned(),
            ))
        }
    }
}

/// The cast as Elements.md has it now.
pub fn read_cast(dir: &Path) -> Result<ElementsLookup, String> {
    let text = std::fs::read_to_string(layout::elements_md_path(dir))
        .map_err(|_| "Elements.md is not written yet".to_owned())?;
    ElementsLookup::parse_markdown(&text).map_err(|e| e.to_string())
}
