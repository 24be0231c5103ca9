//! What the analysis does next, decided synchronously (docs/ARCHITECTURE.md §9), as
//! `illustrate::decide` does for the illustrators: the async queue in `queue.rs` asks
//! [`Waiting::next_to_start`] whenever a request slot is free, and `analysis.rs` asks
//! [`after_failure`] what a failed task means. Plain tests cover reading order, starts only with
//! a free slot, nothing started after a stop, and how a failure spreads.

use crate::ids::ChapterNo;
use std::collections::VecDeque;

/// Work not yet started, in the order it starts: reading order, and items put back first.
#[derive(Debug)]
pub(crate) struct Waiting<I> {
    items: VecDeque<I>,
    stopping: bool,
}

impl<I> Waiting<I> {
    pub(crate) fn new(items: Vec<I>) -> Waiting<I> {
        Waiting {
            items: items.into(),
            stopping: false,
        }
    }

    /// The item to start with the request slot in hand (`slot_free`); none once stopping, so
    /// the rest are left for the next run.
    pub(crate) fn next_to_start(&mut self, slot_free: bool) -> Option<I> {
        if !slot_free || self.stopping {
            return None;
        }
        self.items.pop_front()
    }

    /// Whether anything may still start (worth waiting for a slot).
    pub(crate) fn may_start(&self) -> bool {
        !self.stopping && !self.items.is_empty()
    }

    /// Puts items back at the front, to be started next (in the given order).
    pub(crate) fn put_back(&mut self, items: impl DoubleEndedIterator<Item = I>) {
        for item in items.rev() {
            self.items.push_front(item);
        }
    }

    /// Nothing more starts: a signal, or an error that stops the run.
    pub(crate) fn stop(&mut self) {
        self.stopping = true;
        self.items.clear();
    }
}

/// What a failed analysis task (a pass-1 pack or a pass-2 chapter) means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AfterFailure {
    /// The error would fail every chapter the same way (a refused key, an unreachable server,
    /// a store that cannot write): stop, and pay for nothing more.
    StopTheRun,
    /// A pack the model could not answer is asked again chapter by chapter, so one bad chapter
    /// fails alone.
    AskOneByOne(Vec<Vec<ChapterNo>>),
    /// One chapter the model cannot read is marked failed; the book goes on without it.
    FailChapter(ChapterNo),
}

/// Decides what a task's failure on `pack` means; `fatal` from `analysis::is_fatal`.
pub(crate) fn after_failure(pack: &[ChapterNo], fatal: bool) -> AfterFailure {
    match pack {
        _ if fatal => AfterFailure::StopTheRun,
        [one] => AfterFailure::FailChapter(*one),
        many => AfterFailure::AskOneByOne(many.iter().map(|c| vec![*c]).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapters(numbers: &[u32]) -> Vec<ChapterNo> {
        numbers.iter().map(|n| ChapterNo(*n)).collect()
    }

    #[test]
    fn work_starts_in_reading_order_and_only_with_a_free_slot() {
        let mut waiting = Waiting::new(chapters(&[1, 2, 3]));
        assert_eq!(waiting.next_to_start(false), None);
        assert_eq!(waiting.next_to_start(true), Some(ChapterNo(1)));
        assert_eq!(waiting.next_to_start(true), Some(ChapterNo(2)));
        waiting.put_back(chapters(&[7, 8]).into_iter());
        assert_eq!(waiting.next_to_start(true), Some(ChapterNo(7)));
        assert_eq!(waiting.next_to_start(true), Some(ChapterNo(8)));
        assert_eq!(waiting.next_to_start(true), Some(ChapterNo(3)));
        assert_eq!(waiting.next_to_start(true), None);
        assert!(!waiting.may_start());
    }

    #[test]
    fn nothing_starts_after_a_stop() {
        let mut waiting = Waiting::new(chapters(&[1, 2]));
        assert!(waiting.may_start());
        waiting.stop();
        assert!(!waiting.may_start());
        assert_eq!(waiting.next_to_start(true), None);
        waiting.put_back(chapters(&[5]).into_iter());
        assert_eq!(waiting.next_to_start(true), None, "put back after the stop");
    }

    #[test]
    fn a_failure_fails_one_chapter_splits_a_pack_or_stops_the_run() {
        assert_eq!(
            after_failure(&chapters(&[4]), false),
            AfterFailure::FailChapter(ChapterNo(4))
        );
        assert_eq!(
            after_failure(&chapters(&[4, 5, 6]), false),
            AfterFailure::AskOneByOne(vec![chapters(&[4]), chapters(&[5]), chapters(&[6])])
        );
        assert_eq!(
            after_failure(&chapters(&[4, 5]), true),
            AfterFailure::StopTheRun
        );
        assert_eq!(
            after_failure(&chapters(&[4]), true),
            AfterFailure::StopTheRun
        );
    }
}
