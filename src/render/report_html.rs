//! report.html: a run's timeline, self-contained (inline CSS and SVG, no script, no network),
//! in the manner of `cargo build --timings`. Built from the run's events (pure: events in,
//! HTML out); `pipeline::run_report` collects them and writes the file.
//!
//! Every model request of the run is one `<rect class="span …">` in the timeline, on the first
//! lane free at its start (lanes are the concurrency the run used: `--jobs` for text,
//! `--image-jobs` for images).

use crate::events::{Event, RequestKind, Stamped};
use crate::render::markup::escape;
use crate::store::Usage;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What the report shows besides the events.
#[derive(Debug, Clone, Default)]
pub struct ReportFacts {
    pub title: String,
    /// Wall time of the run.
    pub wall_ms: u64,
    /// `--jobs` and `--image-jobs`, for the lower bound.
    pub jobs: usize,
    pub image_jobs: usize,
    /// What this run's usage cost, when the models' prices are known.
    pub cost_usd: Option<f64>,
    /// Chapters that ended failed, with the reason.
    pub failed_chapters: Vec<(u32, String)>,
    /// The error that stopped the run, if one did.
    pub stopped_by: Option<String>,
    /// Events the report's collector missed (it fell behind); the timeline lacks them.
    pub missed_events: u64,
}

/// One request, from its start to its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub kind: RequestKind,
    pub chapter: u32,
    pub scene: Option<u32>,
    pub start_ms: u64,
    /// The run's end for a request still in flight when it stopped.
    pub end_ms: u64,
    pub ok: bool,
    pub error: Option<String>,
    pub usage: Usage,
    pub lane: usize,
}

/// The requests of `events`, ordered by start, each on its lane.
pub fn spans(events: &[Stamped], wall_ms: u64) -> Vec<Span> {
    let mut open: BTreeMap<u64, Span> = BTreeMap::new();
    let mut done = Vec::new();
    for stamped in events {
        match &stamped.event {
            Event::RequestStarted {
                id,
                kind,
                chapter,
                scene,
            } => {
                open.insert(
                    *id,
                    Span {
                        kind: *kind,
                        chapter: *chapter,
                        scene: *scene,
                        start_ms: stamped.at_ms,
                        end_ms: wall_ms.max(stamped.at_ms),
                        ok: false,
                        error: Some("still in flight when the run ended".into()),
                        usage: Usage::default(),
                        lane: 0,
                    },
                );
            }
            Event::RequestEnded {
                id,
                ok,
                error,
                usage,
            } => {
                if let Some(mut span) = open.remove(id) {
                    (span.end_ms, span.ok, span.error, span.usage) =
                        (stamped.at_ms, *ok, error.clone(), *usage);
                    done.push(span);
                }
            }
            _ => {}
        }
    }
    done.extend(open.into_values());
    done.sort_by_key(|s| (s.start_ms, s.end_ms));
    assign_lanes(&mut done);
    done
}

/// Puts each span on the first lane of its family (text or image) free at its start.
fn assign_lanes(spans: &mut [Span]) {
    let mut lanes: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
    for span in spans {
        let ends = &mut lanes[usize::from(span.kind == RequestKind::Image)];
        let lane = match ends.iter().position(|end| *end <= span.start_ms) {
            Some(lane) => lane,
            None => {
                ends.push(0);
                ends.len() - 1
            }
        };
        ends[lane] = span.end_ms;
        span.lane = lane;
    }
}

/// The shortest the run could have been with its concurrency, from the measured requests:
/// pass 1 / jobs + max(pass 2 / jobs, images / image jobs) (docs/performance.md).
pub fn lower_bound_ms(spans: &[Span], jobs: usize, image_jobs: usize) -> u64 {
    let total = |kind| -> u64 {
        spans
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.end_ms - s.start_ms)
            .sum()
    };
    let (jobs, image_jobs) = (jobs.max(1) as u64, image_jobs.max(1) as u64);
    total(RequestKind::Pass1) / jobs
        + (total(RequestKind::Pass2) / jobs).max(total(RequestKind::Image) / image_jobs)
}

const WIDTH: f64 = 960.0;
const LABEL: f64 = 110.0;
const ROW: f64 = 16.0;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}\
th{background:#f4f4f4}td.l,th.l{text-align:left}.pass1{fill:#6a9fd8}.pass2{fill:#7cc47c}\
.image{fill:#e0a050}.failed{fill:#d44}svg text{font-size:11px;fill:#444}\
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}";

/// The whole report.
pub fn report_html(facts: &ReportFacts, events: &[Stamped]) -> String {
    let spans = spans(events, facts.wall_ms);
    let mut out = String::new();
    let title = escape(&facts.title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>imaginize run report: {title}</title><style>{STYLE}</style></head><body>\
         <h1>Run report: {title}</h1>"
    );
    summary(&mut out, facts, &spans);
    timeline(&mut out, facts.wall_ms, &spans);
    in_flight(&mut out, facts.wall_ms, &spans);
    chapters(&mut out, &spans);
    failures(&mut out, facts, &spans);
    out.push_str("</body></html>\n");
    out
}

fn summary(out: &mut String, facts: &ReportFacts, spans: &[Span]) {
    let mut usage = Usage::default();
    for span in spans {
        usage += span.usage;
    }
    let bound = lower_bound_ms(spans, facts.jobs, facts.image_jobs);
    let ratio = if bound > 0 {
        format!(
            " ({:.2}× the lower bound)",
            facts.wall_ms as f64 / bound as f64
        )
    } else {
        String::new()
    };
    let count = |kind| spans.iter().filter(|s| s.kind == kind).count();
    let cost = facts.cost_usd.map_or_else(
        || "unknown (no price for a model)".into(),
        |c| format!("${c:.4}"),
    );
    let _ = write!(
        out,
        "<table class=\"summary\"><tr><th class=\"l\">wall time</th><td>{:.2} s{ratio}</td></tr>\
         <tr><th class=\"l\">lower bound</th><td>{:.2} s</td></tr>\
         <tr><th class=\"l\">requests</th><td>{} (pass 1 {}, pass 2 {}, images {})</td></tr>\
         <tr><th class=\"l\">tokens</th><td>{} prompt, {} completion</td></tr>\
         <tr><th class=\"l\">images</th><td>{}</td></tr>\
         <tr><th class=\"l\">cost</th><td>{cost}</td></tr>\
         <tr><th class=\"l\">concurrency</th><td>{} text, {} image</td></tr></table>",
        secs(facts.wall_ms),
        secs(bound),
        spans.len(),
        count(RequestKind::Pass1),
        count(RequestKind::Pass2),
        count(RequestKind::Image),
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.images,
        facts.jobs,
        facts.image_jobs,
    );
    if facts.missed_events > 0 {
        let _ = write!(
            out,
            "<p>The report missed {} events (its collector fell behind): some requests are not shown.</p>",
            facts.missed_events
        );
    }
}

/// One row per lane, one rectangle per request.
fn timeline(out: &mut String, wall_ms: u64, spans: &[Span]) {
    let lanes = |image: bool| {
        spans
            .iter()
            .filter(|s| (s.kind == RequestKind::Image) == image)
            .map(|s| s.lane + 1)
            .max()
            .unwrap_or(0)
    };
    let (text_lanes, image_lanes) = (lanes(false), lanes(true));
    let rows = text_lanes + image_lanes;
    let height = (rows as f64 + 1.0) * ROW + 20.0;
    let scale = (WIDTH - LABEL) / wall_ms.max(1) as f64;
    let _ = write!(
        out,
        "<h2>Timeline</h2><p class=\"legend\"><span class=\"pass1\" style=\"background:#6a9fd8\"></span>pass 1\
         <span style=\"background:#7cc47c\"></span>pass 2<span style=\"background:#e0a050\"></span>image\
         <span style=\"background:#d44\"></span>failed</p>\
         <svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{WIDTH}\" height=\"{height}\">"
    );
    for lane in 0..rows {
        let label = if lane < text_lanes {
            format!("text {}", lane + 1)
        } else {
            format!("image {}", lane - text_lanes + 1)
        };
        let y = lane as f64 * ROW + 12.0;
        let _ = write!(out, "<text x=\"0\" y=\"{y}\">{label}</text>");
    }
    for span in spans {
        let row = match span.kind {
            RequestKind::Image => text_lanes + span.lane,
            _ => span.lane,
        };
        let class = match (span.ok, span.kind) {
            (false, _) => "failed",
            (true, RequestKind::Pass1) => "pass1",
            (true, RequestKind::Pass2) => "pass2",
            (true, RequestKind::Image) => "image",
        };
        let x = LABEL + span.start_ms as f64 * scale;
        let w = ((span.end_ms - span.start_ms) as f64 * scale).max(1.0);
        let y = row as f64 * ROW + 2.0;
        let _ = write!(
            out,
            "<rect class=\"span {class}\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\"><title>{}</title></rect>",
            ROW - 3.0,
            escape(&describe(span))
        );
    }
    let axis = rows as f64 * ROW + 14.0;
    for tick in 0..=4 {
        let ms = wall_ms * tick / 4;
        let x = LABEL + ms as f64 * scale;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{axis}\">{:.1}s</text>",
            x.min(WIDTH - 30.0),
            secs(ms)
        );
    }
    out.push_str("</svg>");
}

/// Requests in flight over time, text and images, as step lines.
fn in_flight(out: &mut String, wall_ms: u64, spans: &[Span]) {
    const HEIGHT: f64 = 120.0;
    let scale = (WIDTH - LABEL) / wall_ms.max(1) as f64;
    let series = |image: bool| -> Vec<(u64, i64)> {
        let mut changes: Vec<(u64, i64)> = spans
            .iter()
            .filter(|s| (s.kind == RequestKind::Image) == image)
            .flat_map(|s| [(s.start_ms, 1), (s.end_ms, -1)])
            .collect();
        changes.sort_by_key(|(at, delta)| (*at, *delta));
        let mut level = 0;
        changes
            .into_iter()
            .map(|(at, delta)| {
                level += delta;
                (at, level)
            })
            .collect()
    };
    let (text, image) = (series(false), series(true));
    let peak = text
        .iter()
        .chain(&image)
        .map(|(_, level)| *level)
        .max()
        .unwrap_or(0)
        .max(1);
    let _ = write!(
        out,
        "<h2>Requests in flight</h2><p class=\"legend\"><span style=\"background:#6a9fd8\"></span>text\
         <span style=\"background:#e0a050\"></span>images</p>\
         <svg xmlns=\"http://www.w3.org/2000/svg\" class=\"in-flight\" width=\"{WIDTH}\" height=\"{}\">",
        HEIGHT + 10.0
    );
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"10\">{peak} in flight</text><text x=\"{}\" y=\"{HEIGHT}\">0</text>",
        LABEL - 70.0,
        LABEL - 12.0
    );
    for (points, colour) in [(&text, "#6a9fd8"), (&image, "#e0a050")] {
        let mut path = format!("{LABEL},{HEIGHT}");
        let mut last = 0;
        for (at, level) in points.iter() {
            let x = LABEL + *at as f64 * scale;
            let y = |l: i64| HEIGHT - l as f64 * HEIGHT / peak as f64;
            let _ = write!(path, " {x:.1},{:.1} {x:.1},{:.1}", y(last), y(*level));
            last = *level;
        }
        let _ = write!(
            out,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{path}\"/>"
        );
    }
    out.push_str("</svg>");
}

/// Per chapter: when its pass 1, pass 2 and illustration ran.
fn chapters(out: &mut String, spans: &[Span]) {
    let mut rows: BTreeMap<u32, [Option<(u64, u64)>; 3]> = BTreeMap::new();
    for span in spans {
        let slot = match span.kind {
            RequestKind::Pass1 => 0,
            RequestKind::Pass2 => 1,
            RequestKind::Image => 2,
        };
        let entry = &mut rows.entry(span.chapter).or_default()[slot];
        *entry = Some(match entry {
            Some((start, end)) => ((*start).min(span.start_ms), (*end).max(span.end_ms)),
            None => (span.start_ms, span.end_ms),
        });
    }
    out.push_str(
        "<h2>Chapters</h2><table class=\"chapters\"><tr><th>chapter</th><th>pass 1</th>\
         <th>pass 2</th><th>illustration</th></tr>",
    );
    for (chapter, phases) in rows {
        let cells: Vec<String> = phases
            .iter()
            .map(|p| {
                p.map_or_else(
                    || "-".into(),
                    |(s, e)| format!("{:.2}–{:.2} s", secs(s), secs(e)),
                )
            })
            .collect();
        let _ = write!(
            out,
            "<tr><td>{chapter}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            cells[0], cells[1], cells[2]
        );
    }
    out.push_str("</table>");
}

fn failures(out: &mut String, facts: &ReportFacts, spans: &[Span]) {
    let failed: Vec<&Span> = spans.iter().filter(|s| !s.ok).collect();
    out.push_str("<h2>Failures</h2>");
    if failed.is_empty() && facts.failed_chapters.is_empty() && facts.stopped_by.is_none() {
        out.push_str("<p>None.</p>");
        return;
    }
    out.push_str("<ul class=\"failures\">");
    if let Some(error) = &facts.stopped_by {
        let _ = write!(out, "<li>the run stopped: {}</li>", escape(error));
    }
    for (chapter, reason) in &facts.failed_chapters {
        let _ = write!(out, "<li>chapter {chapter} failed: {}</li>", escape(reason));
    }
    for span in failed {
        let _ = write!(out, "<li>{}</li>", escape(&describe(span)));
    }
    out.push_str("</ul>");
}

fn describe(span: &Span) -> String {
    let what = match (span.kind, span.scene) {
        (RequestKind::Pass1, _) => format!("chapter {} pass 1", span.chapter),
        (RequestKind::Pass2, _) => format!("chapter {} pass 2", span.chapter),
        (RequestKind::Image, Some(scene)) => {
            format!("chapter {} scene {scene} image", span.chapter)
        }
        (RequestKind::Image, None) => format!("chapter {} image", span.chapter),
    };
    let outcome = match &span.error {
        Some(error) if !span.ok => format!(", failed: {error}"),
        _ => String::new(),
    };
    format!(
        "{what}: {:.2}–{:.2} s{outcome}",
        secs(span.start_ms),
        secs(span.end_ms)
    )
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seq: u64, at_ms: u64, event: Event) -> Stamped {
        Stamped { seq, at_ms, event }
    }

    fn start(id: u64, kind: RequestKind, chapter: u32) -> Event {
        Event::RequestStarted {
            id,
            kind,
            chapter,
            scene: (kind == RequestKind::Image).then_some(1),
        }
    }

    fn end(id: u64, ok: bool) -> Event {
        Event::RequestEnded {
            id,
            ok,
            error: (!ok).then(|| "HTTP 500 <oops>".into()),
            usage: Usage::default(),
        }
    }

    fn events() -> Vec<Stamped> {
        vec![
            at(0, 0, start(0, RequestKind::Pass1, 1)),
            at(1, 10, start(1, RequestKind::Pass1, 2)),
            at(2, 100, end(0, true)),
            at(3, 120, start(2, RequestKind::Pass2, 1)),
            at(4, 150, end(1, true)),
            at(5, 300, end(2, true)),
            at(6, 310, start(3, RequestKind::Image, 1)),
            at(7, 320, Event::Note("x".into())),
            at(8, 500, end(3, false)),
            at(9, 510, start(4, RequestKind::Image, 1)),
        ]
    }

    #[test]
    fn spans_pair_starts_with_ends_and_share_lanes_when_free() {
        let spans = spans(&events(), 600);
        assert_eq!(spans.len(), 5);
        let lanes: Vec<usize> = spans.iter().map(|s| s.lane).collect();
        // Pass 1 of chapters 1 and 2 overlap (lanes 0, 1); pass 2 reuses lane 0; images 0, 0.
        assert_eq!(lanes, vec![0, 1, 0, 0, 0]);
        assert!(!spans[3].ok);
        let unfinished = &spans[4];
        assert_eq!((unfinished.end_ms, unfinished.ok), (600, false));
        // pass 1: 100 + 140 over 2 jobs, then max(pass 2 180 / 2, images 280 / 1).
        assert_eq!(lower_bound_ms(&spans, 2, 1), 120 + 280);
    }

    #[test]
    fn the_report_is_html_with_one_rect_per_request_and_no_script() {
        let facts = ReportFacts {
            title: "A <Book> & co".into(),
            wall_ms: 600,
            jobs: 2,
            image_jobs: 1,
            cost_usd: Some(0.08),
            failed_chapters: vec![(3, "bad answer".into())],
            stopped_by: Some("the provider refused the key".into()),
            missed_events: 0,
        };
        let html = report_html(&facts, &events());
        let doc = scraper::Html::parse_document(&html);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        let rects = scraper::Selector::parse("svg.timeline rect.span").unwrap();
        assert_eq!(doc.select(&rects).count(), 5);
        let failed = scraper::Selector::parse("rect.failed").unwrap();
        assert_eq!(doc.select(&failed).count(), 2);
        assert!(html.contains("A &lt;Book&gt; &amp; co"));
        assert!(html.contains("HTTP 500 &lt;oops&gt;"));
        assert!(html.contains("chapter 3 failed: bad answer"));
        assert!(html.contains("the run stopped: the provider refused the key"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("src=\"http"));
    }
}
