//! The text model's request slots handed out by rank (`decide::Rank`) instead of in the order
//! they were asked for: after pass 1 the style, the appearance cards and pass 2 all want the
//! `--jobs` slots at once, and a chapter can be drawn only once its scenes and the cards of
//! whoever they show are in, so the order decides when the images can start.
//!
//! The slots stay the provider's one semaphore (docs/ARCHITECTURE.md §4): callers outside the
//! pipeline still take its permits first come, first served. Every waiting caller also waits on
//! the semaphore; whoever gets a permit hands it to the best-ranked caller waiting (itself, or
//! another through a one-shot channel), so no task runs the hand-out and no permit waits on an
//! idle caller.

use crate::pipeline::decide::{Rank, Ranked};
use crate::pipeline::queue::Slot;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{Semaphore, oneshot};

/// The text slots of one process, handed out by rank.
pub struct Turns {
    slots: Arc<Semaphore>,
    waiting: Mutex<Ranked<oneshot::Sender<Slot>>>,
}

impl Turns {
    pub fn new(slots: Arc<Semaphore>) -> Turns {
        Turns {
            slots,
            waiting: Mutex::new(Ranked::default()),
        }
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Ranked<oneshot::Sender<Slot>>> {
        // The lock guards no invariant a panic could break half way: plain inserts and removes.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A free slot now, unless a caller ranked before `rank` waits for one.
    pub fn try_turn(&self, rank: Rank) -> Option<Slot> {
        if self.waiting().any_before(rank) {
            return None;
        }
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Waits for a slot; of the callers waiting, the best ranked gets each one that comes free
    /// (the earliest asked among equals). `None` only if the semaphore was closed.
    pub async fn turn(&self, rank: Rank) -> Option<Slot> {
        let (tx, mut rx) = oneshot::channel();
        let key = self.waiting().push(rank, tx);
        // Dropped (a cancelled wait) or done: no longer in line.
        let _in_line = InLine { turns: self, key };
        loop {
            tokio::select! {
                biased;
                handed = &mut rx => return handed.ok(),
                permit = self.slots.clone().acquire_owned() => {
                    let Ok(permit) = permit else { return None };
                    self.hand_over(permit);
                }
            }
        }
    }

    /// Gives `permit` to the best-ranked caller still waiting; back to the semaphore if none is.
    fn hand_over(&self, mut permit: Slot) {
        loop {
            let Some(tx) = self.waiting().pop_best() else {
                return;
            };
            match tx.send(permit) {
                Ok(()) => return,
                // Its wait was cancelled meanwhile: the next one.
                Err(back) => permit = back,
            }
        }
    }
}

/// A caller's place in line, given up when its wait ends either way.
struct InLine<'a> {
    turns: &'a Turns,
    key: (Rank, u64),
}

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.turns.waiting().remove(self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ChapterNo;
    use crate::pipeline::decide::Work;
    use std::time::Duration;

    /// One slot, held; three callers wait in the worst order; each slot let go goes to the best
    /// ranked of those waiting.
    #[tokio::test(start_paused = true)]
    async fn a_slot_let_go_goes_to_the_best_ranked_caller_waiting() {
        let turns = Arc::new(Turns::new(Arc::new(Semaphore::new(1))));
        let held = turns.try_turn(Rank::Pass1).expect("a free slot");
        let (order_tx, mut order) = tokio::sync::mpsc::unbounded_channel();
        let ranks = [
            Rank::Chapter(ChapterNo(2), Work::Scenes),
            Rank::Chapter(ChapterNo(1), Work::Cards),
            Rank::Style,
        ];
        for rank in ranks {
            let (turns, order_tx) = (turns.clone(), order_tx.clone());
            tokio::spawn(async move {
                let slot = turns.turn(rank).await;
                let _ = order_tx.send(rank);
                tokio::time::sleep(Duration::from_millis(10)).await;
                drop(slot);
            });
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(
            turns
                .try_turn(Rank::Chapter(ChapterNo(9), Work::Scenes))
                .is_none(),
            "a later rank does not jump the line"
        );
        drop(held);
        let mut got = Vec::new();
        for _ in ranks {
            got.push(order.recv().await.expect("a turn"));
        }
        assert_eq!(
            got,
            [
                Rank::Style,
                Rank::Chapter(ChapterNo(1), Work::Cards),
                Rank::Chapter(ChapterNo(2), Work::Scenes)
            ]
        );
    }

    /// A caller that stops waiting loses its place; the slot goes to the next one.
    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_passes_the_slot_on() {
        let turns = Arc::new(Turns::new(Arc::new(Semaphore::new(1))));
        let held = turns.try_turn(Rank::Pass1).expect("a free slot");
        let gave_up = tokio::time::timeout(Duration::from_millis(5), turns.turn(Rank::Style)).await;
        assert!(gave_up.is_err());
        let waiting = {
            let turns = turns.clone();
            tokio::spawn(async move { turns.turn(Rank::Chapter(ChapterNo(4), Work::Cards)).await })
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        drop(held);
        let slot = tokio::time::timeout(Duration::from_millis(50), waiting)
            .await
            .expect("the slot is passed on")
            .expect("task");
        assert!(slot.is_some());
    }
}
