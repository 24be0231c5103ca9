//! The analysis's work queue: chapters (or pass-1 packs) started in reading order, `--jobs`
//! request slots at a time, each task letting its slot go once its model call is answered.

use crate::error::Error;
use crate::pipeline::context::Context;
use crate::pipeline::shutdown::Shutdown;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

/// A request slot of the analysis: held from a task's start until its model call is answered,
/// then dropped, so the next chapter's request starts while this one is saved and committed.
pub type Slot = OwnedSemaphorePermit;

/// Chapters waiting for a request slot, started in reading order: the queue hands out `--jobs`
/// slots itself, one item at a time, instead of spawning tasks that race for the provider's
/// limit (the scheduler polls new tasks in no fixed order).
pub struct Queue<I, T> {
    waiting: VecDeque<I>,
    running: JoinSet<T>,
    slots: Arc<Semaphore>,
}

impl<I, T: Send + 'static> Queue<I, T> {
    pub fn new(ctx: &Context, items: Vec<I>) -> Self {
        Queue {
            waiting: items.into(),
            running: JoinSet::new(),
            slots: Arc::new(Semaphore::new(ctx.options.provider.jobs.max(1))),
        }
    }

    /// Starts waiting items while request slots are free; none once shutdown has begun, so the
    /// rest are left for the next run.
    pub fn refill<F, Fut>(&mut self, ctx: &Arc<Context>, shutdown: &Shutdown, task: &F)
    where
        F: Fn(Arc<Context>, I, Slot) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
    {
        while !self.waiting.is_empty() && !shutdown.is_shutdown() {
            let Ok(slot) = self.slots.clone().try_acquire_owned() else {
                break;
            };
            self.start(ctx, task, slot);
        }
    }

    fn start<F, Fut>(&mut self, ctx: &Arc<Context>, task: &F, slot: Slot)
    where
        F: Fn(Arc<Context>, I, Slot) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
    {
        if let Some(item) = self.waiting.pop_front() {
            self.running.spawn(task(ctx.clone(), item, slot));
        }
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
            let may_start = !self.waiting.is_empty() && !shutdown.is_shutdown();
            tokio::select! {
                slot = self.slots.clone().acquire_owned(), if may_start => {
                    if let Ok(slot) = slot && !shutdown.is_shutdown() {
                        self.start(ctx, task, slot);
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

    /// Puts items back at the front, to be started next (in the given order).
    pub fn put_back(&mut self, items: impl DoubleEndedIterator<Item = I>) {
        for item in items.rev() {
            self.waiting.push_front(item);
        }
    }

    pub fn cancel(&mut self) {
        self.waiting.clear();
        self.running.abort_all();
    }
}
