//! Reference portraits (docs/consistency.md): which cast members get one, their request (the
//! card and the style, nothing else), drawing a claimed one, and what a scene does about the
//! portraits of the characters it shows — waits for those still coming (drawing one itself when
//! nobody holds it, so no slot waits on an unclaimed portrait) and sends the drawn ones along as
//! reference pictures when the image model accepts them.

use crate::analyze::model::Element;
use crate::error::Error;
use crate::ids::{ChapterNo, SceneNo};
use crate::pipeline::context::{Context, ImageSlot};
use crate::pipeline::progress::Event;
use crate::provider::limits::with_slot;
use crate::provider::{
    self, ElementBrief, ElementKind, ImageFormat, ImageRequest, ReferenceImage, SceneSpec, Usage,
};
use crate::store::{self, PortraitOutcome, WorkerId, layout};
use chrono::Utc;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A portrait's request carries this chapter number: it belongs to the cast, not a chapter
/// (the builtin renderer draws a portrait for it).
pub const CAST_CHAPTER: ChapterNo = ChapterNo(0);

/// How often a scene waiting for a portrait another worker draws looks again, at the latest:
/// it is woken when this process records one, or the manifest is replaced by another.
const WAIT_POLL: Duration = Duration::from_millis(100);

/// The `k` most present characters and creatures (by chapters they appear in, then by quotes;
/// the cast's order breaks ties), as (slug, name).
pub fn cast_to_portray(elements: &[Element], k: usize) -> Vec<(String, String)> {
    let mut people: Vec<(usize, &Element)> = elements
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.kind, ElementKind::Character | ElementKind::Creature))
        .collect();
    people.sort_by_key(|(i, e)| {
        (
            std::cmp::Reverse(e.chapters.len()),
            std::cmp::Reverse(e.quotes.len()),
            *i,
        )
    });
    let mut chosen: Vec<(String, String)> = Vec::new();
    for (_, e) in people {
        let slug = layout::element_slug(&e.name);
        if chosen.len() >= k {
            break;
        }
        if !slug.is_empty() && !chosen.iter().any(|(s, _)| *s == slug) {
            chosen.push((slug, e.name.clone()));
        }
    }
    chosen
}

/// Asks the state for the portraits of the cast `ctx` holds (none when `portraits` is 0).
pub async fn want_portraits(ctx: &Arc<Context>) -> Result<(), Error> {
    let k = ctx.options.portraits;
    let Some(lookup) = ctx.lookup().filter(|_| k > 0) else {
        return Ok(());
    };
    let wanted = cast_to_portray(&lookup.elements, k);
    if wanted.is_empty() {
        return Ok(());
    }
    ctx.state(move |s| s.want_portraits(&wanted).map(|_| ()))
        .await
}

/// The portrait's request: who, the card (or the description) verbatim, the style verbatim.
pub fn portrait_request(
    book_title: &str,
    element: &ElementBrief,
    style: Option<&str>,
    max_chars: usize,
) -> ImageRequest {
    let mut prompt = String::new();
    let kind = crate::analyze::lookup::kind_word(element.kind);
    let _ = writeln!(
        prompt,
        "A reference portrait of {} ({kind}) from \"{book_title}\": the whole figure, standing, facing the viewer, on a plain light background.",
        element.name
    );
    let card = element.appearance.trim();
    let details = if card.is_empty() {
        element.description.trim()
    } else {
        card
    };
    if !details.is_empty() {
        let _ = writeln!(prompt, "Appearance: {details}");
    }
    if let Some(style) = style.filter(|s| !s.trim().is_empty()) {
        let _ = writeln!(prompt, "Style: {}", style.trim());
    }
    prompt.push_str("No text, captions or lettering in the image.");
    let prompt: String = prompt.chars().take(max_chars).collect();
    ImageRequest {
        prompt,
        scene: SceneSpec {
            chapter: CAST_CHAPTER,
            scene: SceneNo(0),
            quote: String::new(),
            description: format!("Reference portrait of {}", element.name),
            mood: String::new(),
            lighting: String::new(),
            elements: vec![element.clone()],
        },
        references: Vec::new(),
    }
}

/// Claims and draws one wanted portrait with the image `slot` in hand (let go once the answer
/// is in); gives the slot back when none is claimable, or while this process is still making
/// the style the portrait must carry. Illustrators call it when no chapter is claimable: a
/// scene that needs a portrait draws it itself (`references_for`), so the first pictures do not
/// wait for the whole cast.
pub async fn draw_one_wanted(
    ctx: &Arc<Context>,
    worker: &WorkerId,
    slot: ImageSlot,
) -> Result<Option<ImageSlot>, Error> {
    if ctx.style_pending() {
        return Ok(Some(slot));
    }
    match claim(ctx, None, worker).await? {
        Some(slug) => {
            draw_claimed(ctx, &slug, worker, Some(slot)).await?;
            Ok(None)
        }
        None => Ok(Some(slot)),
    }
}

async fn claim(
    ctx: &Arc<Context>,
    slug: Option<String>,
    worker: &WorkerId,
) -> Result<Option<String>, Error> {
    let (worker, lease) = (worker.clone(), ctx.lease());
    ctx.state(move |s| s.claim_portrait(slug.as_deref(), &worker, lease, Utc::now()))
        .await
}

/// Draws the claimed portrait `slug` (the caller holds an image slot), writes it and records it.
/// `slot`, when given, is let go as soon as the answer is in: the next request starts while the
/// picture is written and recorded (a scene drawing a portrait it waits for keeps its own).
/// A portrait that cannot be drawn is recorded failed (scenes go ahead without it); an error
/// that stops the run gives the claim back first. Returns whether this worker recorded it.
pub async fn draw_claimed(
    ctx: &Arc<Context>,
    slug: &str,
    worker: &WorkerId,
    slot: Option<ImageSlot>,
) -> Result<bool, Error> {
    // A failed refresh stops the run; the claim then expires with its lease.
    ctx.refresh_cast().await?;
    let Some(element) = brief_of(ctx, slug) else {
        let outcome = PortraitOutcome::Failed("not in the cast any more".into());
        return record(ctx, slug, worker, outcome, Usage::default()).await;
    };
    let style = ctx.style()?.map(|s| s.line());
    let request = portrait_request(
        &ctx.book.title,
        &element,
        style.as_deref(),
        ctx.image.max_prompt_chars(),
    );
    let prompt_file = ctx.out.join(layout::portrait_prompt_file_name(slug));
    let beat = PortraitHeartbeat::start(ctx.clone(), slug.to_string(), worker.clone());
    // The prompt file is written while the request is in flight (its fsyncs would keep the
    // slot idle), as a scene's is.
    let slots = ctx.image_slots();
    let (written, generated) = tokio::join!(
        ctx.write_file(prompt_file, request.prompt.clone().into_bytes()),
        with_slot(&slots, ctx.image.generate(&request, &ctx.options.image))
    );
    drop(slot);
    written?;
    let lost = beat.lost.load(Ordering::SeqCst);
    drop(beat);
    let (outcome, usage) = match generated {
        Ok((bytes, _)) => match ImageFormat::detect(&bytes) {
            Some(format) => {
                let relative = layout::portrait_file_name(slug, format.extension());
                // The holder writes it; a redraw replaces the old picture.
                if !lost {
                    ctx.write_file(ctx.out.join(&relative), bytes).await?;
                }
                let usage = Usage {
                    images: 1,
                    ..Usage::default()
                };
                (PortraitOutcome::Image(relative), usage)
            }
            None => (
                PortraitOutcome::Failed(format!(
                    "{} returned bytes that are not a PNG, JPEG or WebP image",
                    ctx.image.name()
                )),
                Usage::default(),
            ),
        },
        Err(provider::Error::Rejected { reason, .. }) => {
            (PortraitOutcome::Failed(reason), Usage::default())
        }
        Err(err) if err.stops_the_run() => {
            let (slug, worker) = (slug.to_string(), worker.clone());
            let _ = ctx.state(move |s| s.release_portrait(&slug, &worker)).await;
            return Err(err.into());
        }
        Err(err) => (PortraitOutcome::Failed(err.to_string()), Usage::default()),
    };
    let message = match &outcome {
        PortraitOutcome::Image(path) => format!("portrait of {}: {path}", element.name),
        PortraitOutcome::Failed(reason) => {
            format!("portrait of {} not drawn: {reason}", element.name)
        }
    };
    let recorded = record(ctx, slug, worker, outcome, usage).await?;
    if recorded {
        ctx.event(Event::Note(message));
        ctx.request_render();
    }
    Ok(recorded)
}

/// Takes a portrait drawn elsewhere (a series' earlier book): `bytes` become `slug`'s picture,
/// recorded as drawn at no cost, so it is never requested. `false` when the portrait is not
/// wanted any more or another worker holds it.
pub async fn adopt(
    ctx: &Arc<Context>,
    slug: &str,
    bytes: Vec<u8>,
    worker: &WorkerId,
) -> Result<bool, Error> {
    let Some(format) = ImageFormat::detect(&bytes) else {
        return Ok(false);
    };
    if claim(ctx, Some(slug.to_string()), worker).await?.is_none() {
        return Ok(false);
    }
    let relative = layout::portrait_file_name(slug, format.extension());
    ctx.write_file(ctx.out.join(&relative), bytes).await?;
    let outcome = PortraitOutcome::Image(relative);
    record(ctx, slug, worker, outcome, Usage::default()).await
}

async fn record(
    ctx: &Arc<Context>,
    slug: &str,
    worker: &WorkerId,
    outcome: PortraitOutcome,
    usage: Usage,
) -> Result<bool, Error> {
    let (slug, worker) = (slug.to_string(), worker.clone());
    // The cost counts on the book's first chapter: the total is what matters.
    let chapter = ctx.selected.first().copied().unwrap_or(ChapterNo(1));
    let chapter = ctx
        .book
        .story_chapters()
        .find_map(|c| c.number)
        .unwrap_or(chapter);
    let recorded = ctx
        .state(move |s| s.record_portrait(&slug, &worker, &outcome, (chapter, usage)))
        .await;
    // Scenes of this process waiting for the portrait go on at once.
    ctx.wake.bump();
    recorded
}

/// The cast member whose slug is `slug`, as a brief with its card (Elements.md as it is now:
/// another process may have added the card since this one read it).
fn brief_of(ctx: &Context, slug: &str) -> Option<ElementBrief> {
    let lookup = ctx.fresh_lookup().ok().or_else(|| ctx.lookup())?;
    let e = lookup
        .elements
        .iter()
        .find(|e| layout::element_slug(&e.name) == slug)?;
    Some(ElementBrief {
        name: e.name.clone(),
        kind: e.kind,
        description: e.description.clone(),
        appearance: e.appearance.clone(),
    })
}

/// The portraits of the state, by slug.
pub type Portraits = std::collections::BTreeMap<String, store::portraits::Portrait>;

/// Before a scene is drawn: waits for the portraits of `briefs` still coming (drawing one itself
/// when it can claim it; the caller holds an image slot), then returns the drawn ones as
/// reference pictures when the model takes them (at most its maximum, in the scene's order).
/// `known`: the portraits as the state had them a moment ago (read with the chapter's claim),
/// used for the first look instead of reading the state again; any still coming are looked for
/// afresh.
pub async fn references_for(
    ctx: &Arc<Context>,
    briefs: &[ElementBrief],
    worker: &WorkerId,
    known: Option<Portraits>,
) -> Result<Vec<ReferenceImage>, Error> {
    let slugs: Vec<(String, String)> = briefs
        .iter()
        .filter(|b| matches!(b.kind, ElementKind::Character | ElementKind::Creature))
        .map(|b| (layout::element_slug(&b.name), b.name.clone()))
        .collect();
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    // Made before the first look, so a portrait recorded meanwhile is not missed.
    let mut recorded = ctx.wake.waiter(WAIT_POLL);
    let mut known = known;
    let drawn = loop {
        let (coming, drawn) = match known.take() {
            Some(portraits) => sort_portraits(&portraits, &slugs),
            None => {
                let wanted = slugs.clone();
                ctx.read(move |m| sort_portraits(&m.portraits, &wanted))
                    .await?
            }
        };
        let Some(first) = coming.first() else {
            break drawn;
        };
        match claim(ctx, Some(first.clone()), worker).await? {
            Some(slug) => {
                draw_claimed(ctx, &slug, worker, None).await?;
            }
            None => recorded.wait().await,
        }
    };
    let max = ctx.image.max_references();
    let drawn: Vec<(String, String)> = drawn.into_iter().take(max).collect();
    // Read side by side: each read is a trip to a blocking thread, between the image slot and
    // the request.
    let read = drawn
        .iter()
        .map(|(_, image)| ctx.read_file(ctx.out.join(image)));
    let read = futures_util::future::join_all(read).await;
    let mut references = Vec::new();
    for ((name, _), bytes) in drawn.into_iter().zip(read) {
        let Some(bytes) = bytes? else { continue };
        let Some(format) = ImageFormat::detect(&bytes) else {
            continue;
        };
        references.push(ReferenceImage {
            label: name,
            bytes: bytes.into(),
            format,
        });
    }
    Ok(references)
}

/// The `wanted` portraits (slug, name) still coming, and the drawn ones as (name, image path).
fn sort_portraits(
    portraits: &Portraits,
    wanted: &[(String, String)],
) -> (Vec<String>, Vec<(String, String)>) {
    let mut coming = Vec::new();
    let mut drawn = Vec::new();
    for (slug, name) in wanted {
        match portraits.get(slug) {
            Some(p) if p.is_coming() => coming.push(slug.clone()),
            Some(p) => {
                if let Some(image) = &p.image {
                    drawn.push((name.clone(), image.clone()));
                }
            }
            None => {}
        }
    }
    (coming, drawn)
}

/// Renews a portrait's claim every `leaseSecs / 4` while it is drawn; aborted when dropped.
struct PortraitHeartbeat {
    task: tokio::task::JoinHandle<()>,
    lost: Arc<AtomicBool>,
}

impl PortraitHeartbeat {
    fn start(ctx: Arc<Context>, slug: String, worker: WorkerId) -> Self {
        let every = (ctx.lease() / 4).max(Duration::from_millis(250));
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let (slug, worker) = (slug.clone(), worker.clone());
                let beat = ctx
                    .state(move |s| s.heartbeat_portrait(&slug, &worker, Utc::now()))
                    .await;
                if let Err(err) = beat {
                    if matches!(err, Error::Store(store::Error::ClaimLost { .. })) {
                        flag.store(true, Ordering::SeqCst);
                    }
                    break;
                }
            }
        });
        PortraitHeartbeat { task, lost }
    }
}

impl Drop for PortraitHeartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::model::ElementQuote;

    fn element(name: &str, kind: ElementKind, chapters: u32) -> Element {
        Element {
            name: name.into(),
            kind,
            aliases: Vec::new(),
            description: String::new(),
            quotes: Vec::<ElementQuote>::new(),
            first_chapter: ChapterNo(1),
            chapters: (1..=chapters).map(ChapterNo).collect(),
            appearance: String::new(),
            details: Vec::new(),
        }
    }

    #[test]
    fn the_most_present_characters_and_creatures_are_portrayed() {
        let cast = vec![
            element("Longbourn", ElementKind::Place, 40),
            element("Mr. Collins", ElementKind::Character, 5),
            element("Elizabeth Bennet", ElementKind::Character, 50),
            element("Pug", ElementKind::Creature, 9),
            element("Mr. Darcy", ElementKind::Character, 30),
        ];
        let chosen = cast_to_portray(&cast, 3);
        let names: Vec<&str> = chosen.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["Elizabeth Bennet", "Mr. Darcy", "Pug"]);
        assert_eq!(chosen[1].0, "mr-darcy");
        assert!(cast_to_portray(&cast, 0).is_empty());
    }

    #[test]
    fn a_portrait_prompt_carries_the_card_and_the_style_verbatim() {
        let brief = ElementBrief {
            name: "Mr. Darcy".into(),
            kind: ElementKind::Character,
            description: "proud".into(),
            appearance: "build: tall; hair: dark; clothing: a black coat".into(),
        };
        let request = portrait_request("P&P", &brief, Some("pen and ink"), 4000);
        assert!(
            request
                .prompt
                .contains("build: tall; hair: dark; clothing: a black coat")
        );
        assert!(request.prompt.contains("Style: pen and ink"));
        assert!(
            !request.prompt.contains("proud"),
            "the card, not the description"
        );
        assert_eq!(request.scene.chapter, CAST_CHAPTER);
        assert_eq!(request.scene.elements, vec![brief]);
    }
}
