//! Coalesced renders of Chapters.md and Contents.md: any task may ask for a render at any time;
//! one background task renders at most once per interval and once more at the end, so a burst
//! of 60 analyzed chapters costs a handful of renders, not 60.

use crate::pipeline::context::Context;
use crate::pipeline::outputs::{SceneCache, render_all};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Smallest gap between two renders while the run is busy.
const INTERVAL: Duration = Duration::from_millis(500);

#[derive(Debug, Default)]
pub struct RenderQueue {
    notify: Notify,
    when: Renders,
}

/// Which renders a run makes of its output folder.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Renders {
    /// While the run goes on (for whoever watches the folder) and at its end.
    #[default]
    Progressive,
    /// None: a scale worker's working folder, which nobody watches; only its cast files reach
    /// the artifacts, and `export` renders the book's own Chapters.md and Contents.md.
    Never,
}

impl RenderQueue {
    pub fn new(when: Renders) -> RenderQueue {
        RenderQueue {
            notify: Notify::new(),
            when,
        }
    }

    pub fn request(&self) {
        self.notify.notify_one();
    }
}

/// The background renderer; ends when `stop` resolves, after a final render. Renders during the
/// run reuse the chapter files they read before; the final one reads every file afresh.
pub async fn run(ctx: Arc<Context>, mut stop: tokio::sync::oneshot::Receiver<()>) {
    if ctx.renders.when == Renders::Never {
        return;
    }
    let mut cache = SceneCache::default();
    loop {
        tokio::select! {
            () = ctx.renders.notify.notified() => {}
            _ = &mut stop => break,
        }
        cache = render_now(&ctx, cache, false).await;
        tokio::select! {
            () = tokio::time::sleep(INTERVAL) => {}
            _ = &mut stop => break,
        }
    }
    render_now(&ctx, SceneCache::default(), true).await;
}

async fn render_now(ctx: &Arc<Context>, mut cache: SceneCache, durable: bool) -> SceneCache {
    let (state, out) = (ctx.state.clone(), ctx.out.clone());
    let result = tokio::task::spawn_blocking(move || {
        let rendered = render_all(state.as_ref(), &out, &mut cache, durable);
        (rendered, cache)
    })
    .await;
    let (result, cache) = match result {
        Ok((rendered, cache)) => (rendered, cache),
        Err(join) => (
            Err(crate::error::Error::Task {
                what: "render",
                source: join,
            }),
            SceneCache::default(),
        ),
    };
    if let Err(err) = result {
        // A failed render is not fatal: the state is intact and the next render retries.
        ctx.reporter.warn(&format!(
            "could not render outputs: {}",
            err.display_chain()
        ));
    }
    cache
}
