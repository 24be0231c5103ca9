//! What the dashboard may change in a folder: a failed chapter put back in line (through the
//! `BookState` like `--retry-failed`), and one element's description in Elements.md (the file is
//! the source of truth; pass 2 and the illustrators read it back). Blocking: run off the server's
//! threads.

use crate::analyze::lookup::ElementsLookup;
use crate::ids::ChapterNo;
use crate::render::elements_edit::{self, EditError};
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
    #[error("the description is empty or longer than {MAX_DESCRIPTION} characters")]
    BadDescription,
    #[error("Elements.md cannot be read: {0}")]
    NoCast(String),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Store(#[from] store::Error),
}

impl ActionError {
    pub fn status(&self) -> u16 {
        match self {
            ActionError::NotFailed(_) | ActionError::Edit(EditError::NameMismatch { .. }) => 409,
            ActionError::NoChapter(_) | ActionError::Edit(EditError::NoSuchElement { .. }) => 404,
            ActionError::BadDescription => 400,
            ActionError::NoCast(_) | ActionError::Store(_) => 500,
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
    let description = description.trim();
    if description.is_empty() || description.chars().count() > MAX_DESCRIPTION {
        return Err(ActionError::BadDescription);
    }
    let path = layout::elements_md_path(dir);
    let text = std::fs::read_to_string(&path).map_err(|e| ActionError::NoCast(e.to_string()))?;
    let edited = elements_edit::set_description(&text, index, name, description)?;
    // Never write a file the pipeline could not read back.
    ElementsLookup::parse_markdown(&edited).map_err(|e| ActionError::NoCast(e.to_string()))?;
    atomic::write(&path, edited.as_bytes())?;
    Ok(())
}

/// The cast as Elements.md has it now.
pub fn read_cast(dir: &Path) -> Result<ElementsLookup, String> {
    let text = std::fs::read_to_string(layout::elements_md_path(dir))
        .map_err(|_| "Elements.md is not written yet".to_owned())?;
    ElementsLookup::parse_markdown(&text).map_err(|e| e.to_string())
}
