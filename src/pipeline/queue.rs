//! The analysis's work queue: chapters (or pass-1 packs) started in reading order, `--jobs`
//! request slots at a time, each task letting its slot go once its model call is answered. The
//! slots are asked for with the next item's rank (`decide::Rank`), so the appearance cards made
//! beside pass 2 take turns with its chapters in reading order.

use crate::error::Error;
use crate::pipeline::context::Context;
use crate::pipeline::decide::{Rank, Waiting};
use crate::pipeline::shutdown::Shutdown;
use crate::pipeline::turns::Turns;
use std::sync::Arc;
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinSet;

/// A request slot of the analysis: held from a task's start until its model call is answered,
/// then dropped, so the next chapter's request starts while this one is saved and committed.
pub type Slot = OwnedSemaphorePermit;

/// Chapters waiting for a request slot, started in reading order: the queue hands out `--jobs`
/// slots itself, one item at a time, instead of spawning tasks that race for the provider's
/// limit (the scheduler polls new tasks in no fixed order).
pub struct Queue<I, T> {
    waiting: Waiting<I>,
    running: JoinSet<T>,
    turns: Arc<Turns>,
    /// The rank of an item's request.
    rank: fn(&I) -> Rank,
}

impl<I, T: Send + 'static> Queue<I, T> {
    pub fn new(ctx: &Context, items: Vec<I>, rank: fn(&I) -> Rank) -> Self {
        Queue {
            waiting: Waiting::new(items),
            running: JoinSet::new(),
            turns: ctx.text_turns(),
            rank,
        }
    }

    /// The rank of the item that starts next (`Pass1` when none waits: nothing will start).
    fn next_rank(&self) -> Rank {
        self.waiting.peek().map_or(Rank::Pass1, self.rank)
    }

    /// Starts waiting items while request slots are free; none once shutdown has begun, so the
    /// rest are left for the next run.
    pub fn refill<F, Fut>(&mut self, ctx: &Arc<Context>, shutdown: &Shutdown, task: &F)
    where
        F: Fn(Arc<Context>, I, Slot) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
    {
        if shutdown.is_shutdown() {
            self.waiting.stop();
        }
        loop {
            let slot = self.turns.try_turn(self.next_rank());
            let Some((item, slot)) = self.take(slot) else {
                break;
            };
            self.running.spawn(task(ctx.clone(), item, slot));
        }
    }

    /// The next item to start with `slot`; the slot goes back when nothing starts.
    fn take(&mut self, slot: Option<Slot>) -> Option<(I, Slot)> {
        let item = self.waiting.next_to_start(slot.is_some())?;
        slot.map(|slot| (item, slot))
    }

    /// The next finished task, starting waiting items as slots come free meanwhile; `None` once
    /// nothing runs and nothing more may start. Tasks aborted by `cancel` are skipped.
    pub async fn next<F, Fut>(
        &mut self,
        ctx: &Arc<Context>,
        shutdown: &Shutdown,
        task: &F,
    ) -> Option<Result<T, Error>>
    where
        F: Fn(Arc<Context>, I, Slot) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
    {
        loop {
            self.refill(ctx, shutdown, task);
            let may_start = self.waiting.may_start();
            let (turns, rank) = (self.turns.clone(), self.next_rank());
            tokio::select! {
                slot = turns.turn(rank), if may_start => {
                    if shutdown.is_shutdown() {
                        self.waiting.stop();
                    }
                    if let Some((item, slot)) = self.take(slot) {
                        self.running.spawn(task(ctx.clone(), item, slot));
                    }
                }
                joined = self.running.join_next(), if !self.running.is_empty() => {
                    match joined? {
                        Ok(value) => return Some(Ok(value)),
                        Err(e) if e.is_cancelled() => continue,
                        Err(e) => {
                            return Some(Err(Error::Task {
                                what: "analysis",
                                source: e,
                            }));
                        }
                    }
                }
                else => return None,
            }
        }
    }

    /// Whether an item is still to start.
    pub fn may_start(&self) -> bool {
        self.waiting.may_start()
    }

    /// Puts items back at the front, to be started next (in the given order).
    pub fn put_back(&mut self, items: impl DoubleEndedIterator<Item = I>) {
        self.waiting.put_back(items);
    }

    /// Starts nothing more and aborts what runs.
    pub fn cancel(&mut self) {
        self.waiting.stop();
        self.running.abort_all();
    }
}
