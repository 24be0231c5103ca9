//! After the merge, before Elements.md is written: the book's style guide (asked of the text model
//! once when neither config nor `style.json` has one, recorded in `style.json`) and the
//! appearance cards (one request per batch of elements, in parallel up to `--jobs`). Both are
//! made once: a re-made cast keeps its cards, a recorded style is not asked again.

use crate::analyze::cards::{parse_cards, wants_card};
use crate::analyze::lookup::ElementsLookup;
use crate::analyze::model::{Catalogue, Element};
use crate::analyze::prompts::{cards_request, style_request};
use crate::book::Book;
use crate::error::Error;
use crate::ids::ChapterNo;
use crate::pipeline::analysis::is_fatal;
use crate::pipeline::context::Context;
use crate::pipeline::decide::Rank;
use crate::pipeline::progress::Event;
use crate::pipeline::queue::Slot;
use crate::pipeline::turns::Ticket;
use crate::provider::limits::with_slot;
use crate::provider::{self, ElementBrief, TextModel, TextRequest, Usage};
use crate::store::layout;
use crate::style::{self, Source, Style, StyleFile};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Most characters of the opening chapters the style request reads (about 6,000 tokens).
const OPENING_CHARS: usize = 24_000;

/// Most cast members the style request lists.
const STYLE_CAST: usize = 12;

/// Makes the style (when none is set) and the missing cards `plan` lines up; returns the style
/// in effect. `style_slot`: a text slot taken for the style request before pass 2 took them all.
pub async fn style_and_cards(
    ctx: &Arc<Context>,
    catalogue: &mut Catalogue,
    style_slot: Option<Slot>,
    plan: CardPlan,
) -> Result<Option<Style>, Error> {
    let publish = Publish::AsTheyCome;
    let (style, cards) = style_and_missing_cards(ctx, catalogue, publish, style_slot, plan).await?;
    for (index, card) in cards {
        if let Some(element) = catalogue.elements.get_mut(index) {
            element.appearance = card;
        }
    }
    Ok(style)
}

/// Whether the cards are shown as each batch comes back (a fresh cast, written whole: its
/// chapters may be drawn as soon as their cast's cards are in) or only at the end (cards added
/// to an older Elements.md, whose hand edits must be kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Publish {
    AsTheyCome,
    AtTheEnd,
}

/// The style in effect (asked for when there is none) and the cards the catalogue lacks, by
/// index, asked for at the same time.
async fn style_and_missing_cards(
    ctx: &Arc<Context>,
    catalogue: &Catalogue,
    publish: Publish,
    style_slot: Option<Slot>,
    plan: CardPlan,
) -> Result<(Option<Style>, Vec<(usize, String)>), Error> {
    let known = ctx.style()?;
    // Invention is the user's to ask for, so only a style set before pass 1 can allow it.
    let invent = known.as_ref().filter(|s| s.invent).map(Style::line);
    let styled = async {
        let style = book_style(ctx, known, catalogue, style_slot).await;
        let style = match style {
            Ok(style) => ctx.cast_written().await.map(|()| style),
            Err(err) => Err(err),
        };
        if style.is_ok() {
            ctx.cast_progress(|_, styled| *styled = true);
            // Idle illustrators may draw the portraits wanted so far now.
            ctx.wake.bump();
        }
        style
    };
    let cards = make_cards(ctx, catalogue, invent, publish, plan);
    let (style, cards) = tokio::join!(styled, cards);
    Ok((style?, cards?))
}

/// A finished cast made before cards existed (or with cards a model failed to give): the
/// missing cards and the style are made now and added to elements.json and Elements.md, whose
/// hand edits are kept; Elements.md shows the style in effect.
pub async fn complete_looks(ctx: &Arc<Context>) -> Result<(), Error> {
    let Some(lookup) = ctx.lookup() else {
        return Ok(());
    };
    let catalogue = Catalogue {
        title: lookup.title.clone(),
        elements: lookup.elements.clone(),
        partial_from: Vec::new(),
    };
    let plan = plan_cards(ctx, &catalogue);
    let (style, cards) =
        style_and_missing_cards(ctx, &catalogue, Publish::AtTheEnd, None, plan).await?;
    if !cards.is_empty() {
        let named: Vec<(String, String)> = cards
            .into_iter()
            .filter_map(|(i, card)| Some((catalogue.elements.get(i)?.name.clone(), card)))
            .collect();
        add_cards(&ctx.out, &named)?;
        ctx.load_lookup()?;
        ctx.event(Event::Note(format!(
            "appearance cards: {} added to Elements.md",
            named.len()
        )));
    }
    if let Some(style) = style {
        show_style(&ctx.out, &style)?;
    }
    ctx.cast_written().await
}

/// Adds `cards` (by element name) to Elements.md and elements.json.
fn add_cards(out: &std::path::Path, cards: &[(String, String)]) -> Result<(), Error> {
    let md_path = layout::elements_md_path(out);
    let md = std::fs::read_to_string(&md_path).map_err(|source| Error::Read {
        path: md_path.clone(),
        source,
    })?;
    crate::store::atomic::write(&md_path, crate::render::insert_cards(&md, cards).as_bytes())?;
    let json_path = layout::elements_json_path(out);
    let Ok(bytes) = std::fs::read(&json_path) else {
        return Ok(());
    };
    let mut catalogue: Catalogue = serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
        path: json_path.clone(),
        message: e.to_string(),
    })?;
    for element in &mut catalogue.elements {
        if let Some((_, card)) = cards.iter().find(|(n, _)| *n == element.name) {
            element.appearance.clone_from(card);
        }
    }
    let json = serde_json::to_vec_pretty(&catalogue)
        .map_err(|e| Error::Internal(format!("cannot encode elements.json: {e}")))?;
    crate::store::atomic::write(&json_path, &json)?;
    Ok(())
}

/// Puts the style in effect into Elements.md's style section when it shows another (the config's
/// style changed since pass 1, say); the rest of the file, hand edits included, is kept.
pub fn show_style(out: &std::path::Path, style: &Style) -> Result<(), Error> {
    let path = layout::elements_md_path(out);
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    let updated = crate::render::replace_style_section(&text, style);
    if updated != text {
        crate::store::atomic::write(&path, updated.as_bytes())?;
    }
    Ok(())
}

/// The cast as an earlier run left it: Elements.md (hand edits win), else elements.json.
pub fn earlier_cast(out: &std::path::Path) -> Vec<Element> {
    let from_md = std::fs::read_to_string(layout::elements_md_path(out))
        .ok()
        .and_then(|text| ElementsLookup::parse_markdown(&text).ok())
        .map(|lookup| lookup.elements);
    from_md
        .or_else(|| {
            std::fs::read(layout::elements_json_path(out))
                .ok()
                .and_then(|b| serde_json::from_slice::<Catalogue>(&b).ok())
                .map(|c| c.elements)
        })
        .unwrap_or_default()
}

/// The style in effect, or the one asked of the model (the builtin's when the model cannot
/// answer), recorded in `style.json`.
async fn book_style(
    ctx: &Arc<Context>,
    known: Option<Style>,
    catalogue: &Catalogue,
    slot: Option<Slot>,
) -> Result<Option<Style>, Error> {
    if known.is_some() {
        return Ok(known);
    }
    let request = style_request_for(&ctx.book, &catalogue.elements);
    // Ahead of the cards and pass 2 for a slot: every picture waits for the style.
    let _slot = match slot {
        Some(slot) => Some(slot),
        None => ctx.text_turns().turn(Rank::Style).await,
    };
    let asked = ask_style(ctx.text.as_ref(), &request);
    let (style, usage, note) = with_slot(&ctx.text_slots(), asked).await?;
    if let Some(note) = note {
        ctx.event(Event::Note(note));
    }
    let file = StyleFile {
        source: Source::Book,
        style: style.clone(),
    };
    let out = ctx.out.clone();
    tokio::task::spawn_blocking(move || style::write(&out, &file))
        .await
        .map_err(|source| Error::Task {
            what: "style.json",
            source,
        })??;
    let chapter = request.chapter;
    ctx.state(move |s| s.add_usage(chapter, usage)).await?;
    ctx.event(Event::Note(format!("style guide: {}", style.line())));
    Ok(Some(style))
}

/// Asks `model` for the style guide; an unusable answer gives the builtin's (offline) style and
/// a note saying so. Errors that stop a run (a refused key, an unreachable server) are returned.
pub async fn ask_style(
    model: &dyn TextModel,
    request: &TextRequest,
) -> Result<(Style, Usage, Option<String>), Error> {
    let (style, usage, note) = match model.complete_json(request).await {
        Ok((value, usage)) => {
            let style = style::from_answer(&value);
            let note = style.is_none().then(|| {
                "style guide: the model's answer had no style; the builtin's is used".to_string()
            });
            (style, usage, note)
        }
        Err(err) if err.stops_the_run() => return Err(err.into()),
        Err(err) => {
            let note = format!(
                "style guide: the model gave no usable answer ({err}); the builtin's is used"
            );
            (None, Usage::default(), Some(note))
        }
    };
    let style = match style {
        Some(style) => style,
        None => {
            let (value, _) = provider::builtin::Builtin.complete_json(request).await?;
            style::from_answer(&value)
                .ok_or_else(|| Error::Internal("the builtin style guide is empty".into()))?
        }
    };
    Ok((style, usage, note))
}

/// The style request: the opening story chapters (cut to `OPENING_CHARS`) and the cast's first
/// characters.
pub fn style_request_for(book: &Book, cast: &[Element]) -> TextRequest {
    let mut opening = String::new();
    let mut first = None;
    for chapter in book.story_chapters() {
        if opening.chars().count() >= OPENING_CHARS {
            break;
        }
        first = first.or(chapter.number);
        opening.push_str(&chapter.text);
        opening.push_str("\n\n");
    }
    let opening: String = opening.chars().take(OPENING_CHARS).collect();
    let cast: Vec<ElementBrief> = cast
        .iter()
        .filter(|e| wants_card(e))
        .take(STYLE_CAST)
        .map(|e| ElementBrief {
            name: e.name.clone(),
            kind: e.kind,
            description: e.description.clone(),
            appearance: String::new(),
        })
        .collect();
    style_request(
        &book.title,
        first.unwrap_or(ChapterNo(1)),
        opening.trim_end(),
        cast,
    )
}

/// The card requests a cast still needs, planned as soon as it is merged: the elements that
/// want a card and have none (by index, in the order they are asked for), cut into batches, each
/// with its place in line for a text slot taken at once, so pass 2, which starts next, does not
/// take the slots ahead of them (`Turns::ticket`).
pub struct CardPlan {
    wanted: Vec<usize>,
    batches: Vec<(Vec<usize>, Ticket)>,
}

/// Plans the cards `catalogue` lacks (see [`CardPlan`]).
pub fn plan_cards(ctx: &Context, catalogue: &Catalogue) -> CardPlan {
    let portrayed =
        crate::illustrate::portraits::cast_to_portray(&catalogue.elements, ctx.options.portraits);
    let portrayed_names: Vec<&str> = portrayed.iter().map(|(_, name)| name.as_str()).collect();
    let wanted = wanting_cards(&catalogue.elements, &portrayed_names);
    let per_request = ctx.text.cards_per_request().max(1);
    let turns = ctx.text_turns();
    let batches = wanted
        .chunks(per_request)
        .map(|batch| {
            let elements: Vec<&Element> = batch.iter().map(|&i| &catalogue.elements[i]).collect();
            let names = elements.iter().map(|e| e.name.clone()).collect();
            let rank = cards_rank(&elements, &portrayed_names);
            (batch.to_vec(), turns.ticket(rank, names))
        })
        .collect();
    CardPlan { wanted, batches }
}

/// The cards of the elements `plan` lines up, by index in the catalogue. A batch the model
/// cannot answer leaves its elements without cards (their descriptions are used), with a note;
/// an error that stops the run stops it.
async fn make_cards(
    ctx: &Arc<Context>,
    catalogue: &Catalogue,
    invent: Option<String>,
    publish: Publish,
    plan: CardPlan,
) -> Result<Vec<(usize, String)>, Error> {
    // The portraits to draw, each wanted once its element's card is in (drawn from it).
    let portrayed =
        crate::illustrate::portraits::cast_to_portray(&catalogue.elements, ctx.options.portraits);
    let CardPlan { wanted, batches } = plan;
    // Only these wait for a card; the rest of the cast may be drawn as it is.
    let waiting: BTreeSet<String> = wanted
        .iter()
        .map(|&i| catalogue.elements[i].name.clone())
        .collect();
    let all_waiting = waiting.clone();
    ctx.cast_progress(|names, _| *names = all_waiting);
    // The requests go out first: Elements.md as merged is written while they are in flight.
    let slots = ctx.text_slots();
    let mut tasks = tokio::task::JoinSet::new();
    for (batch, ticket) in batches {
        let elements: Vec<Element> = batch
            .iter()
            .map(|&i| catalogue.elements[i].clone())
            .collect();
        let refs: Vec<&Element> = elements.iter().collect();
        let request = cards_request(
            &catalogue.title,
            &refs,
            chapters_text(ctx, &refs),
            invent.as_deref(),
        );
        let (ctx, slots) = (ctx.clone(), slots.clone());
        tasks.spawn(async move {
            let _slot = ticket.turn().await;
            let answer = with_slot(&slots, ctx.text.complete_json(&request)).await;
            (batch, elements, request.chapter, answer)
        });
    }
    let mut shown = (publish == Publish::AsTheyCome).then(|| catalogue.clone());
    if let Some(shown) = shown.as_mut() {
        // The cast as merged, before any card: Elements.md exists before any chapter is drawn.
        let ready = |name: &String| !waiting.contains(name);
        show_batch(ctx, shown, &[], &portrayed, ready).await?;
    }
    let mut cards = Vec::new();
    let mut missed = 0;
    while let Some(joined) = tasks.join_next().await {
        let (batch, elements, chapter, answer) = joined.map_err(|source| Error::Task {
            what: "appearance cards",
            source,
        })?;
        let refs: Vec<&Element> = elements.iter().collect();
        let parsed = match answer {
            Ok((value, usage)) => {
                ctx.state(move |s| s.add_usage(chapter, usage)).await?;
                parse_cards(&value, &refs).map_err(|e| e.to_string())
            }
            Err(err) => {
                let err = Error::from(err);
                if is_fatal(&err) {
                    tasks.abort_all();
                    return Err(err);
                }
                Err(err.display_chain())
            }
        };
        let found = match parsed {
            Ok(found) => {
                missed += batch.len() - found.len();
                found
                    .into_iter()
                    .map(|(i, card)| (batch[i], card))
                    .collect()
            }
            Err(message) => {
                missed += batch.len();
                ctx.event(Event::Note(format!("appearance cards: {message}")));
                Vec::new()
            }
        };
        let settled: Vec<String> = elements.iter().map(|e| e.name.clone()).collect();
        if let Some(shown) = shown.as_mut() {
            let ready = |name: &String| settled.contains(name);
            show_batch(ctx, shown, &found, &portrayed, ready).await?;
        }
        ctx.cast_progress(|names, _| {
            for name in &settled {
                names.remove(name);
            }
        });
        cards.extend(found);
    }
    if missed > 0 {
        ctx.event(Event::Note(format!(
            "appearance cards: {missed} of {} elements have none (their descriptions are used)",
            wanted.len()
        )));
    }
    Ok(cards)
}

/// The elements that want a card and have none, by index, in the order they are asked for:
/// the `portrayed` first (their portraits wait for their cards, and the image slots are idle
/// until the first chapters' casts are carded), then by the chapter each first appears in (the
/// catalogue lists kinds apart), so the cards the first chapters' scenes wait for come back in
/// the first answers.
fn wanting_cards(elements: &[Element], portrayed: &[&str]) -> Vec<usize> {
    let mut wanted: Vec<usize> = (0..elements.len())
        .filter(|&i| wants_card(&elements[i]) && elements[i].appearance.is_empty())
        .collect();
    let later = |e: &Element| !portrayed.contains(&e.name.as_str());
    wanted.sort_by_key(|&i| (later(&elements[i]), elements[i].first_chapter, i));
    wanted
}

/// A card request's turn for a text slot: right after the style when it is about someone
/// portrayed (the portraits wait for it), else once a chapter's scenes show one of its elements
/// (`Turns::hurry`), and after everything else until then.
fn cards_rank(batch: &[&Element], portrayed: &[&str]) -> Rank {
    if batch.iter().any(|e| portrayed.contains(&e.name.as_str())) {
        Rank::Portrayed
    } else {
        Rank::Unshown
    }
}

/// Adds one batch's cards to the cast as shown: elements.json and Elements.md rewritten (another
/// process's illustrators read it), the process's cast replaced and the portraits of the
/// elements now `ready` wanted, before the batch's elements stop waiting, so a picture of them
/// is never drawn without their card, nor before their portrait.
async fn show_batch(
    ctx: &Arc<Context>,
    shown: &mut Catalogue,
    found: &[(usize, String)],
    portrayed: &[(String, String)],
    ready: impl Fn(&String) -> bool,
) -> Result<(), Error> {
    for (index, card) in found {
        if let Some(element) = shown.elements.get_mut(*index) {
            element.appearance.clone_from(card);
        }
    }
    let style = ctx.style()?;
    let (out, written) = (ctx.out.clone(), shown.clone());
    tokio::task::spawn_blocking(move || {
        crate::pipeline::outputs::write_elements(&out, &written, style.as_ref(), &[])
    })
    .await
    .map_err(|source| Error::Task {
        what: "Elements.md",
        source,
    })??;
    ctx.cast_written().await?;
    ctx.set_lookup(ElementsLookup::from_catalogue(shown).map_err(Error::Index)?);
    // Wanted now, before these elements stop waiting: a scene showing one of them then waits
    // for its portrait.
    let wanted: Vec<(String, String)> = portrayed
        .iter()
        .filter(|(_, name)| ready(name))
        .cloned()
        .collect();
    if !wanted.is_empty() {
        ctx.state(move |s| s.want_portraits(&wanted).map(drop))
            .await?;
        // Idle illustrators draw them now, before any chapter they appear in is analyzed.
        ctx.wake.bump();
    }
    Ok(())
}

/// The text of every chapter the elements appear in, for analyzers that read the book.
fn chapters_text(ctx: &Context, elements: &[&Element]) -> String {
    let chapters: BTreeSet<ChapterNo> = elements
        .iter()
        .flat_map(|e| e.chapters.iter().copied())
        .collect();
    chapters
        .into_iter()
        .filter_map(|no| ctx.book.chapter(no))
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::decide::Work;
    use crate::provider::ElementKind;

    fn element(name: &str, kind: ElementKind, first: u32) -> Element {
        Element {
            name: name.into(),
            kind,
            aliases: Vec::new(),
            description: String::new(),
            quotes: Vec::new(),
            first_chapter: ChapterNo(first),
            chapters: vec![ChapterNo(first), ChapterNo(first + 1)],
            appearance: String::new(),
            details: Vec::new(),
        }
    }

    /// The catalogue lists characters before places: chapter 1's place must not wait behind
    /// every character of the book for its card. The portrayed come first of all, right after
    /// the style; the other batches wait until a chapter's scenes show one of their elements.
    #[test]
    fn cards_are_asked_for_the_portrayed_then_in_the_order_their_elements_first_appear() {
        let mut carded = element("Mr. Bennet", ElementKind::Character, 1);
        carded.appearance = "build: lean".into();
        let cast = vec![
            element("Elizabeth", ElementKind::Character, 1),
            carded,
            element("Mr. Collins", ElementKind::Character, 13),
            element("Longbourn", ElementKind::Place, 1),
            element("a letter", ElementKind::Item, 1),
            element("Pemberley", ElementKind::Place, 43),
        ];
        assert_eq!(wanting_cards(&cast, &["Mr. Collins"]), [2, 0, 3, 5]);
        let wanted = wanting_cards(&cast, &[]);
        assert_eq!(wanted, [0, 3, 2, 5]);
        let batches: Vec<Vec<&Element>> = wanted
            .chunks(2)
            .map(|b| b.iter().map(|&i| &cast[i]).collect())
            .collect();
        let ranks: Vec<Rank> = batches.iter().map(|b| cards_rank(b, &[])).collect();
        assert_eq!(ranks, [Rank::Unshown, Rank::Unshown]);
        let ranks: Vec<Rank> = batches
            .iter()
            .map(|b| cards_rank(b, &["Mr. Collins"]))
            .collect();
        assert_eq!(ranks, [Rank::Unshown, Rank::Portrayed]);
        assert!(Rank::Style < Rank::Portrayed);
        assert!(Rank::Portrayed < Rank::Chapter(ChapterNo(1), Work::Scenes));
        assert!(Rank::Chapter(ChapterNo(61), Work::Cards) < Rank::Unshown);
    }
}
