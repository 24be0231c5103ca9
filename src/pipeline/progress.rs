//! Live progress: two bars on a terminal (analysis, illustration), plain log lines otherwise,
//! nothing but errors and the summary with --quiet.

use crate::config::Verbosity;
use crate::report::Reporter;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;

pub use crate::events::{Event, RequestKind, Stamped};

/// Turns events into bars or lines.
pub struct Progress {
    reporter: Arc<Reporter>,
    bars: Option<Bars>,
}

struct Bars {
    _multi: MultiProgress,
    analysis: ProgressBar,
    images: ProgressBar,
}

impl Progress {
    /// Bars when stderr is a terminal and the verbosity is normal; lines otherwise.
    pub fn new(reporter: Arc<Reporter>) -> Self {
        let interactive = std::io::stderr().is_terminal()
            && reporter.verbosity() == Verbosity::Normal
            && reporter.collected().is_empty();
        let bars = interactive.then(Bars::new);
        Progress { reporter, bars }
    }

    pub fn handle(&self, event: &Event) {
        match &self.bars {
            Some(bars) => bars.handle(event),
            None => self.log(event),
        }
    }

    pub fn finish(&self) {
        if let Some(bars) = &self.bars {
            bars.analysis.finish();
            bars.images.finish();
        }
    }

    fn log(&self, event: &Event) {
        let reporter = &self.reporter;
        match event {
            Event::Pass1 { done, total } => {
                if *done == *total || done % 10 == 0 {
                    reporter.info(&format!("Pass 1: {done}/{total} chapters"));
                } else {
                    reporter.verbose(&format!("Pass 1: {done}/{total} chapters"));
                }
            }
            Event::Pass2Started { total } => reporter.info(&format!("Pass 2: 0/{total} chapters")),
            Event::ChapterAnalyzed {
                chapter,
                scenes,
                done,
                total,
            } => reporter.info(&format!(
                "Pass 2: {done}/{total} chapters (chapter {chapter}: {})",
                crate::report::plural(*scenes, "scene")
            )),
            Event::ChapterFailed { chapter, error } => {
                reporter.warn(&format!("chapter {chapter} failed: {error}"));
            }
            Event::ImagesPlanned { .. } => {}
            Event::ImageDone {
                chapter,
                scene,
                adopted,
            } => {
                let how = if *adopted { "adopted existing" } else { "drew" };
                reporter.verbose(&format!("{how} chapter {chapter} scene {scene}"));
            }
            Event::ImageRejected {
                chapter,
                scene,
                reason,
            } => reporter.warn(&format!(
                "chapter {chapter} scene {scene} was rejected by the provider: {reason}"
            )),
            Event::ChapterIllustrated { chapter } => {
                reporter.info(&format!("Illustrated chapter {chapter}"));
            }
            Event::Note(text) => reporter.info(text),
            Event::RequestStarted { .. } | Event::RequestEnded { .. } => {}
        }
    }
}

impl Bars {
    fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix:>13} [{bar:30}] {pos}/{len} {msg} {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let analysis = multi.add(ProgressBar::new(0).with_style(style.clone()));
        analysis.set_prefix("Analysis");
        let images = multi.add(ProgressBar::new(0).with_style(style));
        images.set_prefix("Illustration");
        Bars {
            _multi: multi,
            analysis,
            images,
        }
    }

    fn handle(&self, event: &Event) {
        match event {
            Event::Pass1 { done, total } => {
                self.analysis.set_message("pass 1 (cast)");
                self.analysis.set_length(*total as u64);
                self.analysis.set_position(*done as u64);
            }
            Event::Pass2Started { total } => {
                self.analysis.set_message("pass 2 (scenes)");
                self.analysis.set_length(*total as u64);
                self.analysis.set_position(0);
            }
            Event::ChapterAnalyzed { done, total, .. } => {
                self.analysis.set_length(*total as u64);
                self.analysis.set_position(*done as u64);
            }
            Event::ImagesPlanned { total } => self.images.set_length(*total as u64),
            Event::ImageDone { .. } | Event::ImageRejected { .. } => self.images.inc(1),
            Event::ChapterFailed { chapter, error } => self
                .analysis
                .println(format!("warning: chapter {chapter} failed: {error}")),
            Event::ChapterIllustrated { .. }
            | Event::RequestStarted { .. }
            | Event::RequestEnded { .. } => {}
            Event::Note(text) => self.analysis.println(text),
        }
    }
}
