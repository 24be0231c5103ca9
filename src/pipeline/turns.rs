//! The text model's request slots handed out by rank (`decide::Rank`) instead of in the order
//! they were asked for: after pass 1 the style, the appearance cards and pass 2 all want the
//! `--jobs` slots at once, and a chapter can be drawn only once its scenes and the cards of
//! whoever they show are in, so the order decides when the images can start.
//!
//! The slots stay the provider's one semaphore (docs/ARCHITECTURE.md §4): callers outside the
//! pipeline still take its permits first come, first served. Every waiting caller also waits on
//! the semaphore; whoever gets a permit hands it to the best-ranked caller waiting (itself, or
//! another through a one-shot channel), so no task runs the hand-out and no permit waits on an
//! idle caller, except a place taken ahead (`Turns::ticket`: the card batches line up before
//! pass 2 starts), whose slot waits in its channel until its task asks for it. A waiting card
//! batch moves up to the turn of the first chapter that waits for it (`Turns::hurry`).

use crate::pipeline::decide::{Rank, Ranked};
use crate::pipeline::queue::Slot;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{Semaphore, oneshot};

/// The text slots of one process, handed out by rank.
pub struct Turns {
    slots: Arc<Semaphore>,
    waiting: Mutex<Ranked<Waiter>>,
    /// Whether callers ranked `Unshown` may take a free slot themselves (`hold_unshown`).
    unshown_open: tokio::sync::watch::Sender<bool>,
}

/// A caller in line: where its slot goes, and the cast members its request is about (a card
/// batch's names), so a chapter waiting for them can move it up (`Turns::hurry`).
struct Waiter {
    tx: oneshot::Sender<Slot>,
    about: Vec<String>,
}

impl Turns {
    pub fn new(slots: Arc<Semaphore>) -> Turns {
        Turns {
            slots,
            waiting: Mutex::new(Ranked::default()),
            unshown_open: tokio::sync::watch::Sender::new(true),
        }
    }

    /// Until `open_unshown`, callers ranked `Unshown` take only a slot handed to them: a slot
    /// that is free while nobody better waits yet (pass 2 about to line up its chapters after
    /// the merge) is not theirs to take.
    pub fn hold_unshown(&self) {
        self.unshown_open.send_replace(false);
    }

    /// Lets callers ranked `Unshown` take free slots again (pass 2 has lined up, or will not run).
    pub fn open_unshown(&self) {
        self.unshown_open.send_replace(true);
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Ranked<Waiter>> {
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
    pub async fn turn(self: &Arc<Self>, rank: Rank) -> Option<Slot> {
        self.ticket(rank, Vec::new()).turn().await
    }

    /// A place in line taken now, for a request about the cast members `about`, waited on
    /// later (`Ticket::turn`): callers ranked after it do not take a slot before it, even while
    /// its own task has not started yet.
    pub fn ticket(self: &Arc<Self>, rank: Rank, about: Vec<String>) -> Ticket {
        let (tx, rx) = oneshot::channel();
        let id = self.waiting().push(rank, Waiter { tx, about });
        Ticket {
            turns: self.clone(),
            id,
            rx,
        }
    }

    /// Moves the requests about any of `names` still waiting up to `rank`: a chapter whose
    /// scenes are in waits for their cards, which then come before later chapters' requests.
    pub fn hurry(&self, names: &BTreeSet<String>, rank: Rank) {
        if names.is_empty() {
            return;
        }
        let raised = self
            .waiting()
            .raise_where(rank, |w| w.about.iter().any(|n| names.contains(n)));
        if raised > 0 {
            // Wakes the raised requests held back with the unshown (`Ticket::turn`).
            self.unshown_open.send_modify(|_| {});
        }
    }

    /// Gives `permit` to the best-ranked caller still waiting; back to the semaphore if none is.
    fn hand_over(&self, mut permit: Slot) {
        loop {
            let Some(waiter) = self.waiting().pop_best() else {
                return;
            };
            match waiter.tx.send(permit) {
                Ok(()) => return,
                // Its wait was cancelled meanwhile: the next one.
                Err(back) => permit = back,
            }
        }
    }
}

/// A caller's place in line (`Turns::ticket`), given up when it is dropped, turn or not.
pub struct Ticket {
    turns: Arc<Turns>,
    id: u64,
    rx: oneshot::Receiver<Slot>,
}

impl Ticket {
    /// Waits for this place's slot (see [`Turns::turn`]).
    pub async fn turn(mut self) -> Option<Slot> {
        let mut open = self.turns.unshown_open.subscribe();
        loop {
            // Held back: only a slot handed over counts, until the gate opens or a chapter
            // raises this request (`hurry` says so on the same channel).
            let held_back = !*open.borrow_and_update()
                && self.turns.waiting().rank_of(self.id) == Some(Rank::Unshown);
            if held_back {
                tokio::select! {
                    handed = &mut self.rx => return handed.ok(),
                    _ = open.changed() => continue,
                }
            }
            tokio::select! {
                biased;
                handed = &mut self.rx => return handed.ok(),
                permit = self.turns.slots.clone().acquire_owned() => {
                    let Ok(permit) = permit else { return None };
                    self.turns.hand_over(permit);
                }
            }
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.turns.waiting().remove(self.id);
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

    /// A ticket taken before its task runs keeps its place: a later rank asking meanwhile,
    /// even with a slot free, does not take it; the ticket gets it once waited on.
    #[tokio::test(start_paused = true)]
    async fn a_ticket_holds_its_place_before_its_task_waits() {
        let turns = Arc::new(Turns::new(Arc::new(Semaphore::new(1))));
        let cards = turns.ticket(
            Rank::Chapter(ChapterNo(1), Work::Cards),
            vec!["Jane".into()],
        );
        let scenes = Rank::Chapter(ChapterNo(2), Work::Scenes);
        assert!(turns.try_turn(scenes).is_none(), "the ticket is ahead");
        let later = {
            let turns = turns.clone();
            tokio::spawn(async move { turns.turn(scenes).await })
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(
            !later.is_finished(),
            "the free slot was kept for the ticket"
        );
        let slot = tokio::time::timeout(Duration::from_millis(50), cards.turn())
            .await
            .expect("the ticket's turn");
        assert!(slot.is_some());
        drop(slot);
        let slot = tokio::time::timeout(Duration::from_millis(50), later)
            .await
            .expect("then the later rank's")
            .expect("task");
        assert!(slot.is_some());
    }

    /// Cards about Jane, ranked at chapter 35, are hurried to chapter 4's turn and get the slot
    /// before chapter 5's scenes; cards about no one waited for stay behind.
    #[tokio::test(start_paused = true)]
    async fn hurried_cards_go_before_later_chapters() {
        let turns = Arc::new(Turns::new(Arc::new(Semaphore::new(1))));
        let held = turns.try_turn(Rank::Pass1).expect("a free slot");
        let (order_tx, mut order) = tokio::sync::mpsc::unbounded_channel();
        let callers = [
            (Rank::Chapter(ChapterNo(35), Work::Cards), "Jane"),
            (Rank::Chapter(ChapterNo(5), Work::Scenes), ""),
            (Rank::Chapter(ChapterNo(30), Work::Cards), "Kitty"),
        ];
        for (rank, about) in callers {
            let ticket = turns.ticket(rank, vec![about.to_string()]);
            let order_tx = order_tx.clone();
            tokio::spawn(async move {
                let slot = ticket.turn().await;
                let _ = order_tx.send(about);
                tokio::time::sleep(Duration::from_millis(10)).await;
                drop(slot);
            });
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        let jane: BTreeSet<String> = ["Jane".to_string()].into();
        turns.hurry(&jane, Rank::Chapter(ChapterNo(4), Work::Cards));
        drop(held);
        let mut got = Vec::new();
        for _ in callers {
            got.push(order.recv().await.expect("a turn"));
        }
        assert_eq!(got, ["Jane", "", "Kitty"]);
    }

    /// While held, cards no scene showed leave a free slot to pass 2, which lines up after
    /// them; raised by a chapter they take a slot handed over; open, they take free ones.
    #[tokio::test(start_paused = true)]
    async fn unshown_cards_leave_free_slots_to_pass_2_until_the_gate_opens() {
        let turns = Arc::new(Turns::new(Arc::new(Semaphore::new(1))));
        turns.hold_unshown();
        let unshown = {
            let ticket = turns.ticket(Rank::Unshown, vec!["Kitty".into()]);
            tokio::spawn(ticket.turn())
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(!unshown.is_finished(), "a free slot, but the gate is shut");
        let scenes = turns
            .turn(Rank::Chapter(ChapterNo(1), Work::Scenes))
            .await
            .expect("pass 2 gets the free slot");
        let kitty: BTreeSet<String> = ["Kitty".to_string()].into();
        turns.hurry(&kitty, Rank::Chapter(ChapterNo(1), Work::Cards));
        let next = {
            let turns = turns.clone();
            tokio::spawn(async move { turns.turn(Rank::Chapter(ChapterNo(2), Work::Scenes)).await })
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        drop(scenes);
        let slot = tokio::time::timeout(Duration::from_millis(50), unshown)
            .await
            .expect("the raised cards get the slot handed over")
            .expect("task");
        assert!(slot.is_some());
        assert!(!next.is_finished());
        drop(slot);
        assert!(next.await.expect("task").is_some());
        let later = turns.ticket(Rank::Unshown, Vec::new());
        turns.open_unshown();
        assert!(later.turn().await.is_some(), "open: a free slot is taken");
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
