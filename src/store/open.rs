//! Opening a book's state for a run (`BookState::open_book`): create it or add the book's new
//! chapters, take back expired claims, then apply `--retry-failed` / `--clear-errors` and
//! `--force` to the selected chapters.

use crate::store::state::{OpenBook, Opened};
use crate::store::{ElementsStatus, Error, LockedManifest};

/// One transaction of `open_book`, shared by every store built on `transact`.
pub(crate) fn open(m: &mut LockedManifest, request: &OpenBook) -> Result<Opened, Error> {
    let mut opened = Opened {
        notes: m.notes().to_vec(),
        created: m.set_initial(request.initial.clone()),
        ..Opened::default()
    };
    let theirs = &m.manifest()?.book;
    if !theirs.sha256.is_empty() && theirs.sha256 != request.meta.sha256 {
        opened.other_file = Some(theirs.clone());
    }
    m.note_book_path(&request.meta)?;
    opened.changed_keys = m.merge_chapters(&request.chapters)?.changed_keys;
    opened.recovered = m.recover_expired(request.lease, request.now)?.len();
    if request.retry_failed {
        opened.reset = m.reset_errors(Some(&request.selected))?;
    }
    if request.force {
        force(m, request, &mut opened)?;
    }
    Ok(opened)
}

fn force(m: &mut LockedManifest, request: &OpenBook, opened: &mut Opened) -> Result<(), Error> {
    for chapter in &request.selected {
        let scenes = m.redo(*chapter, request.images_only)?;
        opened.forced.push((*chapter, scenes));
    }
    if request.redo_elements {
        m.set_elements_status(ElementsStatus::Pending)?;
    }
    if request.redo_analysis {
        m.set_analyze_complete(false)?;
    }
    m.set_illustrate_complete(false)
}
