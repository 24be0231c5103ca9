//! What the analysis does next, decided synchronously (docs/ARCHITECTURE.md §9), as
//! `illustrate::decide` does for the illustrators: the async queue in `queue.rs` asks
//! [`Waiting::next_to_start`] whenever a request slot is free, `turns.rs` asks [`Ranked`] which
//! waiting request a free text slot goes to, and `analysis.rs` asks [`after_failure`] what a
//! failed task means. Plain tests cover reading order, starts only with a free slot, nothing
//! started after a stop, the order of text requests of different kinds, and how a failure
//! spreads.

use crate::ids::ChapterNo;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Which text request gets the next free slot: the lowest rank, then the earliest asked. Pass 1
/// first (nothing else can start before its merge), then the style (every picture waits for
/// it), then the cards of the portrayed (their portraits are the first pictures that can be
/// drawn), then chapter by chapter in reading order: a chapter's scenes, then the cards its
/// scenes show that are still to come (moved up to that turn when the scenes are in,
/// `Ranked::raise_where`). Cards no analyzed chapter has asked for yet come last: they are
/// needed by no picture so far, and a chapter is drawn only once its scenes and the cards of
/// whoever they show are in, so the chapters next in reading order, which the illustrators
/// claim next, get their text first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    Pass1,
    Style,
    Portrayed,
    Chapter(ChapterNo, Work),
    Unshown,
}

/// The kinds of text request that belong to a chapter, in the order they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Work {
    /// Pass 2: its scenes are asked first, so its answer and the cards come back together.
    Scenes,
    /// The appearance cards of elements its scenes show, still to come.
    Cards,
}

/// Requests waiting for a text slot, by rank (`Rank`) and then in the order they asked. A
/// waiting request can be moved up (`raise_where`): the cards a chapter waits for take that
/// chapter's turn, whatever their own first chapter.
#[derive(Debug)]
pub(crate) struct Ranked<T> {
    waiting: BTreeMap<(Rank, u64), T>,
    /// Each waiting request's rank now, by the number it was given when it asked.
    ranks: HashMap<u64, Rank>,
    asked: u64,
}

impl<T> Default for Ranked<T> {
    fn default() -> Self {
        Ranked {
            waiting: BTreeMap::new(),
            ranks: HashMap::new(),
            asked: 0,
        }
    }
}

impl<T> Ranked<T> {
    /// Adds a request; the number it returns takes it out again (`remove`) when it stops
    /// waiting.
    pub(crate) fn push(&mut self, rank: Rank, item: T) -> u64 {
        let id = self.asked;
        self.asked += 1;
        self.waiting.insert((rank, id), item);
        self.ranks.insert(id, rank);
        id
    }

    /// The request a free slot goes to.
    pub(crate) fn pop_best(&mut self) -> Option<T> {
        let ((_, id), item) = self.waiting.pop_first()?;
        self.ranks.remove(&id);
        Some(item)
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        let rank = self.ranks.remove(&id)?;
        self.waiting.remove(&(rank, id))
    }

    /// Moves every waiting request ranked after `rank` for which `wanted` holds up to `rank`
    /// (among requests of that rank they keep the order they asked in); returns how many moved.
    pub(crate) fn raise_where(&mut self, rank: Rank, wanted: impl Fn(&T) -> bool) -> usize {
        let later: Vec<(Rank, u64)> = self
            .waiting
            .iter()
            .filter(|((r, _), item)| *r > rank && wanted(item))
            .map(|(key, _)| *key)
            .collect();
        for key in &later {
            if let Some(item) = self.waiting.remove(key) {
                self.waiting.insert((rank, key.1), item);
                self.ranks.insert(key.1, rank);
            }
        }
        later.len()
    }

    /// The rank the request numbered `id` waits with now.
    pub(crate) fn rank_of(&self, id: u64) -> Option<Rank> {
        self.ranks.get(&id).copied()
    }

    /// Whether a request ranked before `rank` waits (then a caller of `rank` must not jump it).
    pub(crate) fn any_before(&self, rank: Rank) -> bool {
        self.waiting
            .first_key_value()
            .is_some_and(|((best, _), _)| *best < rank)
    }
}

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

    /// The item that starts next.
    pub(crate) fn peek(&self) -> Option<&I> {
        if self.stopping {
            return None;
        }
        self.items.front()
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
    fn a_free_text_slot_goes_to_pass_1_then_the_style_then_the_next_chapter_in_reading_order() {
        let ch = |n| ChapterNo(n);
        let mut ranked = Ranked::default();
        ranked.push(Rank::Unshown, "cards no scene showed yet");
        ranked.push(Rank::Chapter(ch(3), Work::Scenes), "scenes 3");
        ranked.push(Rank::Chapter(ch(2), Work::Cards), "cards first seen in 2");
        ranked.push(Rank::Portrayed, "cards of the portrayed");
        ranked.push(Rank::Chapter(ch(2), Work::Scenes), "scenes 2");
        ranked.push(Rank::Style, "style");
        let late = ranked.push(Rank::Chapter(ch(1), Work::Cards), "cards first seen in 1");
        ranked.push(
            Rank::Chapter(ch(1), Work::Cards),
            "more cards first seen in 1",
        );
        ranked.push(Rank::Pass1, "pass 1");
        assert!(ranked.any_before(Rank::Style));
        assert!(!ranked.any_before(Rank::Pass1));
        assert_eq!(ranked.remove(late), Some("cards first seen in 1"));
        let order: Vec<&str> = std::iter::from_fn(|| ranked.pop_best()).collect();
        assert_eq!(
            order,
            [
                "pass 1",
                "style",
                "cards of the portrayed",
                "more cards first seen in 1",
                "scenes 2",
                "cards first seen in 2",
                "scenes 3",
                "cards no scene showed yet"
            ]
        );
        assert!(!ranked.any_before(Rank::Style));
    }

    /// Chapter 4's scenes show an element first listed in chapter 35: the cards it waits for
    /// move up to chapter 4's turn, ahead of chapter 5's scenes; nothing already ahead moves back.
    #[test]
    fn the_cards_a_chapter_waits_for_take_that_chapters_turn() {
        let ch = |n| ChapterNo(n);
        let mut ranked = Ranked::default();
        ranked.push(Rank::Chapter(ch(35), Work::Cards), "cards 35: But");
        ranked.push(Rank::Chapter(ch(5), Work::Scenes), "scenes 5");
        ranked.push(Rank::Chapter(ch(2), Work::Cards), "cards 2: But, Jane");
        ranked.push(Rank::Unshown, "cards 54: What");
        let moved = ranked.raise_where(Rank::Chapter(ch(4), Work::Cards), |item| {
            item.contains("But")
        });
        assert_eq!(moved, 1, "the batch ranked at chapter 2 stays ahead");
        assert!(ranked.any_before(Rank::Chapter(ch(5), Work::Scenes)));
        let order: Vec<&str> = std::iter::from_fn(|| ranked.pop_best()).collect();
        assert_eq!(
            order,
            [
                "cards 2: But, Jane",
                "cards 35: But",
                "scenes 5",
                "cards 54: What"
            ]
        );
    }

    /// A raised request is still taken out by the number it was given.
    #[test]
    fn a_raised_request_can_still_stop_waiting() {
        let mut ranked = Ranked::default();
        let id = ranked.push(Rank::Chapter(ChapterNo(9), Work::Cards), "cards 9");
        ranked.raise_where(Rank::Style, |_| true);
        assert!(ranked.any_before(Rank::Chapter(ChapterNo(1), Work::Scenes)));
        assert_eq!(ranked.remove(id), Some("cards 9"));
        assert_eq!(ranked.pop_best(), None);
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
