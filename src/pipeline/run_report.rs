//! The run report (report.html): a recorder subscribed to the run's events from before the
//! first request, and the write of the report at the end of the run (name from
//! `store::layout`, written through `store::atomic`). The HTML itself is `render::report_html`.

use crate::config::Options;
use crate::pipeline::context::Context;
use crate::pipeline::progress::Stamped;
use crate::provider::ProviderKind;
use crate::provider::prices::Price;
use crate::render::report_html::{ReportFacts, report_html, spans};
use crate::store::{self, Usage, atomic, layout};
use std::path::Path;
use tokio::sync::{broadcast, oneshot};

/// The run's events as recorded, and how many the recorder missed.
#[derive(Debug, Default)]
pub struct Recorded {
    pub events: Vec<Stamped>,
    pub missed: u64,
}

/// Keeps every event of the run until [`Recorder::finish`].
pub struct Recorder {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Recorded>,
}

impl Recorder {
    /// Subscribes now (call it before the run starts); must run inside the tokio runtime.
    pub fn start(ctx: &Context) -> Recorder {
        let mut events = ctx.subscribe();
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut recorded = Recorded::default();
            loop {
                tokio::select! {
                    biased;
                    got = events.recv() => match got {
                        Ok(event) => recorded.events.push(event),
                        Err(broadcast::error::RecvError::Lagged(n)) => recorded.missed += n,
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    _ = &mut stopped => break,
                }
            }
            // What was sent before the stop is still queued: keep it.
            while let Ok(event) = events.try_recv() {
                recorded.events.push(event);
            }
            recorded
        });
        Recorder { stop, task }
    }

    /// Stops recording and returns what was recorded.
    pub async fn finish(self) -> Recorded {
        let _ = self.stop.send(());
        self.task.await.unwrap_or_default()
    }
}

/// What the run itself says about how it went.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    pub title: String,
    /// Wall time of the run (0 when unknown: the last event's time is used).
    pub wall_ms: u64,
    /// Chapters that ended failed, with the reason.
    pub failed_chapters: Vec<(u32, String)>,
    /// The error that stopped the run, if one did.
    pub stopped_by: Option<String>,
}

/// Writes `<out>/report.html` for the run whose events are `recorded`.
pub fn write(
    out: &Path,
    recorded: &Recorded,
    options: &Options,
    run: RunFacts,
) -> Result<(), store::Error> {
    let wall_ms = run.wall_ms;
    // The events are timed from the context's creation, a moment before the run's clock.
    let wall_ms = wall_ms.max(recorded.events.last().map_or(0, |e| e.at_ms));
    let mut usage = Usage::default();
    for span in spans(&recorded.events, wall_ms) {
        usage += span.usage;
    }
    let facts = ReportFacts {
        title: run.title,
        wall_ms,
        jobs: options.provider.jobs,
        image_jobs: options.provider.image_jobs,
        cost_usd: cost(options, usage),
        failed_chapters: run.failed_chapters,
        stopped_by: run.stopped_by,
        missed_events: recorded.missed,
    };
    let html = report_html(&facts, &recorded.events);
    atomic::write(&layout::report_path(out), html.as_bytes())
}

/// What `usage` cost at the configured models' prices; `None` when one is unknown.
fn cost(options: &Options, usage: Usage) -> Option<f64> {
    if options.provider.kind == ProviderKind::Builtin {
        return Some(0.0);
    }
    let prices = options.price_table();
    let text = prices.get(&options.provider.text.model);
    let image = prices.get(&options.provider.image.model);
    let tokens = |price: Option<Price>| -> Option<f64> {
        let p = price?;
        Some(
            usage.prompt_tokens as f64 * p.input_per_mtok / 1e6
                + usage.completion_tokens as f64 * p.output_per_mtok / 1e6,
        )
    };
    let text_cost = if usage.prompt_tokens + usage.completion_tokens == 0 {
        Some(0.0)
    } else {
        tokens(text)
    };
    let image_cost = if usage.images == 0 {
        Some(0.0)
    } else {
        image.map(|p| p.per_image * usage.images as f64)
    };
    Some(text_cost? + image_cost?)
}
