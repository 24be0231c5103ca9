//! A worker's wake-ups, passed on to its runs on the book each one names: a chapter analyzed
//! in one book wakes that book's illustrators, not every helper of every book.

use crate::store::postgres::queue::Woken;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::Notify;

/// One [`Notify`] per book this worker runs or helps with, kept while a run holds it.
#[derive(Debug, Default)]
pub(super) struct Nudges {
    books: Mutex<HashMap<String, Weak<Notify>>>,
}

impl Nudges {
    /// The wake-ups of `book`, for as long as the caller keeps the returned handle.
    pub fn of(&self, book: &str) -> Arc<Notify> {
        let mut books = self
            .books
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        books.retain(|_, notify| notify.strong_count() > 0);
        if let Some(notify) = books.get(book).and_then(Weak::upgrade) {
            return notify;
        }
        let notify = Arc::new(Notify::new());
        books.insert(book.to_string(), Arc::downgrade(&notify));
        notify
    }

    /// Wakes whoever waits on a book `woken` concerns.
    pub fn wake(&self, woken: &Woken) {
        let books = self
            .books
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (book, notify) in books.iter() {
            if woken.concerns(book)
                && let Some(notify) = notify.upgrade()
            {
                notify.notify_waiters();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn woken(books: &[&str]) -> Woken {
        Woken {
            every_book: false,
            books: books.iter().map(|b| b.to_string()).collect(),
        }
    }

    /// Whether a waiter on `book`, armed before `wake(woken)`, was woken.
    fn wakes(book: &str, woken: &Woken) -> bool {
        let nudges = Nudges::default();
        let (mine, other) = (nudges.of(book), nudges.of("other"));
        let waiting = mine.notified();
        tokio::pin!(waiting);
        waiting.as_mut().enable();
        let _keep = other;
        nudges.wake(woken);
        let waker = futures_util::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        waiting.as_mut().poll(&mut cx).is_ready()
    }

    #[test]
    fn a_wake_up_reaches_the_runs_on_the_book_it_names_only() {
        assert!(wakes("b1", &woken(&["b1"])));
        assert!(
            !wakes("b1", &woken(&["b2"])),
            "woken by another book's change"
        );
        let everyone = Woken {
            every_book: true,
            books: Default::default(),
        };
        assert!(wakes("b1", &everyone), "a wake-up naming no book wakes all");
    }

    #[test]
    fn a_books_handle_is_shared_while_held_and_forgotten_after() {
        let nudges = Nudges::default();
        let first = nudges.of("b1");
        assert!(Arc::ptr_eq(&first, &nudges.of("b1")));
        drop(first);
        let _other = nudges.of("b2");
        assert_eq!(nudges.books.lock().unwrap().len(), 1);
    }
}
