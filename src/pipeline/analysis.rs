//! The analysis pipeline: pass 1 on every story chapter (bounded by `--jobs`, saved per chapter
//! so a crash resumes), the merge into elements.json/Elements.md, then pass 2 on the selected
//! chapters, each marked `analyzed` the moment its scenes are saved, which wakes the illustrators.

use crate::analyze::cards::keep_cards;
use crate::analyze::chunks::estimate_tokens;
use crate::analyze::entities::{
    ChapterEntities, ChapterRef, PackEntities, extract_pack, largest_first, packs, parse_saved,
};
use crate::analyze::lookup::ElementsLookup;
use crate::analyze::merge::merge;
use crate::analyze::model::Catalogue;
use crate::analyze::model::ChapterScenes;
use crate::analyze::quotes::{ChapterText, Tokens, tokenise};
use crate::analyze::scenes::{ChapterInput, analyze, scene_budget};
use crate::error::Error;
use crate::ids::ChapterNo;
use crate::pipeline::context::{Cast, Context};
use crate::pipeline::decide::{AfterFailure, Rank, Work, after_failure};
use crate::pipeline::looks::{
    CardPlan, complete_looks, earlier_cast, plan_cards, show_style, style_and_cards,
};
use crate::pipeline::outputs::write_elements;
use crate::pipeline::progress::Event;
use crate::pipeline::queue::{Queue, Slot};
use crate::pipeline::shutdown::{Shutdown, Signal};
use crate::provider::limits::with_slot;
use crate::store::{ElementsStatus, Status, layout};
use chrono::Utc;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What the analysis did in this run.
#[derive(Debug, Default, Clone)]
pub struct AnalysisReport {
    pub entity_chapters: usize,
    pub analyzed: usize,
    pub scenes: usize,
    /// Scene quotes moved to the closest passage of the book (shown in the summary).
    pub reanchored: usize,
    /// Scenes dropped because their quote is not in the chapter (shown in the summary).
    pub invented: usize,
    pub failed: Vec<(ChapterNo, String)>,
}

/// Before any illustrator starts, on a cast that is already complete: an analysing run makes the
/// cards and the style a cast from before them lacks (one process asks, not every `--images`
/// worker); any run shows the style in effect in Elements.md.
pub async fn complete_cast(ctx: &Arc<Context>) -> Result<(), Error> {
    if !cast_complete(ctx).await? {
        return Ok(());
    }
    ctx.load_lookup()?;
    let phases = ctx.options.phases;
    if phases.entities || phases.scenes {
        complete_looks(ctx).await
    } else if let Some(style) = ctx.style()? {
        show_style(&ctx.out, &style)
    } else {
        Ok(())
    }
}

/// Whether the book's cast is complete and here: Elements.md marked complete in the state and
/// present in the output folder (pass 1 is not asked again).
pub async fn cast_complete(ctx: &Context) -> Result<bool, Error> {
    let dir = ctx.out.clone();
    let status = ctx
        .state(move |s| {
            s.elements_status()?
                .ok_or(crate::store::Error::NoManifest { dir })
        })
        .await?;
    Ok(status == ElementsStatus::Complete && layout::elements_md_path(&ctx.out).exists())
}

/// Runs pass 1 (unless Elements.md is complete) and pass 2 as the options ask.
pub async fn run(ctx: Arc<Context>, shutdown: Shutdown) -> Result<AnalysisReport, Error> {
    let mut report = AnalysisReport::default();
    let phases = ctx.options.phases;
    let mut marking = None;
    if cast_complete(&ctx).await? {
        ctx.load_lookup()?;
    } else if phases.entities || phases.scenes {
        marking = Some(pass1(&ctx, &shutdown, &mut report).await?);
    }
    let scenes = if phases.scenes && !shutdown.is_shutdown() {
        pass2(&ctx, &shutdown, &mut report).await
    } else {
        Ok(())
    };
    // The cards no scene asked for are made now, whatever stopped pass 2.
    ctx.text_turns().open_unshown();
    // The cards' own error (a refused key, say) is the run's, not pass 2's stop it caused.
    if let Some(marking) = marking {
        marking.await.map_err(|source| Error::Task {
            what: "appearance cards",
            source,
        })??;
    }
    scenes?;
    Ok(report)
}

/// Pass 1 and the merge: Elements.md is complete before any chapter's scenes are chosen.
async fn pass1(
    ctx: &Arc<Context>,
    shutdown: &Shutdown,
    report: &mut AnalysisReport,
) -> Result<Marking, Error> {
    let book: Vec<ChapterNo> = ctx.book.story_chapters().filter_map(|c| c.number).collect();
    // `--cast selected`: a trial reads only its chapters; the packs are still cut from the whole
    // book, so a later full run asks for the others exactly as it would have.
    let chapters = if ctx.options.cast_selected {
        ctx.selected.clone()
    } else {
        book.clone()
    };
    let total = chapters.len();
    let mut found: Vec<(ChapterNo, Vec<crate::analyze::RawEntity>)> = Vec::new();
    let mut todo = Vec::new();
    let mut saved = saved_entities(ctx);
    for &chapter in &chapters {
        match saved.remove(&chapter) {
            Some(entities) => found.push((chapter, entities)),
            None => todo.push(chapter),
        }
    }
    ctx.event(Event::Pass1 {
        done: found.len(),
        total,
    });
    let mut queue = Queue::new(ctx, entity_packs(ctx, &book, &todo), |_| Rank::Pass1);
    queue.refill(ctx, shutdown, &entities_task);
    // Said, and the merge's work started, once the requests are on their way: nothing waits
    // for either.
    ctx.state(|s| s.set_elements_status(ElementsStatus::Inprogress))
        .await?;
    let tokenising = start_tokenising(ctx);
    let mut abort = None;
    let mut failed = 0;
    while let Some(joined) = queue.next(ctx, shutdown, &entities_task).await {
        let (pack, outcome) = joined?;
        match outcome {
            Ok(saved) => {
                report.entity_chapters += saved.len();
                found.extend(saved.into_iter().map(|s| (s.chapter, s.entities)));
                ctx.event(Event::Pass1 {
                    done: found.len() + failed,
                    total,
                });
            }
            Err(err) => match after_failure(&pack, is_fatal(&err)) {
                AfterFailure::StopTheRun => {
                    abort.get_or_insert(err);
                    queue.cancel();
                }
                AfterFailure::AskOneByOne(packs) => queue.put_back(packs.into_iter()),
                AfterFailure::FailChapter(chapter) => {
                    failed += 1;
                    let message = format!("pass 1 (cast): {}", err.display_chain());
                    fail_chapter(ctx, chapter, message, report).await?;
                }
            },
        }
    }
    if let Some(err) = abort {
        ctx.state(|s| s.set_elements_status(ElementsStatus::Error))
            .await?;
        return Err(err);
    }
    if found.len() + failed < total {
        return Err(Error::Interrupted(
            shutdown.signal().unwrap_or(Signal::Interrupt),
        ));
    }
    finish_elements(ctx, &found, tokenising).await
}

/// The story chapters' words for the merge's quote checks, computed on a blocking thread while
/// pass 1 waits on the model, so the merge does not keep pass 2 waiting for them.
type Tokenising = tokio::task::JoinHandle<BTreeMap<ChapterNo, Tokens>>;

fn start_tokenising(ctx: &Arc<Context>) -> Tokenising {
    let ctx = ctx.clone();
    tokio::task::spawn_blocking(move || {
        ctx.book
            .story_chapters()
            .filter_map(|c| Some((c.number?, tokenise(&c.text))))
            .collect()
    })
}

/// The appearance cards and the style, made beside pass 2, then Elements.md written and marked
/// complete: pass 2 marks its chapters analyzed only once the cards are in (`Context::cast_ready`),
/// so no picture is drawn without them, here or in another process.
type Marking = tokio::task::JoinHandle<Result<(), Error>>;

/// Merges the cast and hands it to pass 2 at once; starts making the style guide and the
/// appearance cards, after which elements.json and Elements.md are written and marked complete.
async fn finish_elements(
    ctx: &Arc<Context>,
    found: &[(ChapterNo, Vec<crate::analyze::RawEntity>)],
    tokenising: Tokenising,
) -> Result<Marking, Error> {
    let mut tokens = match tokenising.await {
        Ok(tokens) => tokens,
        Err(e) => {
            return Err(Error::Internal(format!(
                "tokenising the chapters failed: {e}"
            )));
        }
    };
    let texts: BTreeMap<ChapterNo, ChapterText> = ctx
        .book
        .story_chapters()
        .filter_map(|c| {
            let no = c.number?;
            Some((no, ChapterText::with_tokens(&c.text, tokens.remove(&no)?)))
        })
        .collect();
    let mut catalogue = merge(&ctx.book.title, found, &texts);
    if ctx.options.cast_selected {
        catalogue.partial_from = ctx.selected.clone();
    }
    let series = super::series::join(ctx, &mut catalogue).await?;
    // The style request goes out first, before pass 2 takes every text slot: every picture
    // waits for it (its turn comes at once, pass 1 being over).
    // (A damaged style.json fails the cast later, as before.)
    let style_slot = match ctx.style() {
        Ok(None) => ctx.text_turns().turn(Rank::Style).await,
        _ => None,
    };
    // Pass 2 needs the names only; the pictures wait for the cards.
    let lookup = ElementsLookup::from_catalogue(&catalogue).map_err(Error::Index)?;
    ctx.set_lookup(lookup);
    ctx.set_cast(Cast::making(
        catalogue.elements.iter().map(|e| e.name.clone()),
    ));
    // A re-made cast keeps its cards. The rest line up for text slots before pass 2 asks for
    // them: the first chapters' cards (and the portrayed's, whose portraits fill the image
    // slots first) come with its first requests.
    keep_cards(&mut catalogue, &earlier_cast(&ctx.out));
    let plan = plan_cards(ctx, &catalogue);
    // The free slots go to pass 2's chapters, not to cards no scene has shown yet, while
    // pass 2 lines up (`open_unshown` once it has started every chapter).
    ctx.text_turns().hold_unshown();
    let ctx = ctx.clone();
    Ok(tokio::spawn(async move {
        let made = cast_with_looks(&ctx, catalogue, series, style_slot, plan).await;
        ctx.set_cast(if made.is_ok() {
            Cast::Ready
        } else {
            Cast::Failed
        });
        made?;
        // A partial cast stays in progress, so the next run without `--cast selected`
        // completes it.
        let status = if ctx.options.cast_selected {
            ElementsStatus::Inprogress
        } else {
            ElementsStatus::Complete
        };
        ctx.state(move |s| s.set_elements_status(status)).await
    }))
}

/// Makes the style and the cards, writes elements.json and Elements.md (durably, on a blocking
/// thread), records the cast in its series, and makes the carded cast the one pictures use.
async fn cast_with_looks(
    ctx: &Arc<Context>,
    mut catalogue: Catalogue,
    series: Option<crate::series::Series>,
    style_slot: Option<Slot>,
    plan: CardPlan,
) -> Result<(), Error> {
    let style = style_and_cards(ctx, &mut catalogue, style_slot, plan).await?;
    let (out, written, shown) = (ctx.out.clone(), catalogue.clone(), style.clone());
    // The portraits' names are known now; the pictures come before the first scene needs them.
    let portraits: Vec<(String, String)> =
        crate::illustrate::portraits::cast_to_portray(&catalogue.elements, ctx.options.portraits)
            .into_iter()
            .map(|(slug, name)| (name, layout::portrait_file_name(&slug, "png")))
            .collect();
    tokio::task::spawn_blocking(move || write_elements(&out, &written, shown.as_ref(), &portraits))
        .await
        .map_err(|source| Error::Task {
            what: "Elements.md",
            source,
        })??;
    ctx.cast_written().await?;
    if let Some(series) = &series {
        super::series::record(ctx, series.clone(), &catalogue, style.as_ref()).await?;
    }
    let lookup = ElementsLookup::from_catalogue(&catalogue).map_err(Error::Index)?;
    ctx.set_lookup(lookup);
    // Asked for before any chapter is analyzed, so every scene knows which portraits to await.
    crate::illustrate::portraits::want_portraits(ctx).await?;
    if let Some(series) = &series {
        super::series::adopt_portraits(ctx, series).await?;
    }
    ctx.wake.bump();
    ctx.event(Event::Note(format!(
        "Elements.md: {}",
        crate::report::plural(catalogue.elements.len(), "element")
    )));
    Ok(())
}

/// Pass 1 answers saved by earlier runs, by chapter. A file that cannot be read is ignored (its
/// chapters are asked again); of two files with the same chapter, the first by name counts.
fn saved_entities(ctx: &Context) -> BTreeMap<ChapterNo, Vec<crate::analyze::RawEntity>> {
    let artifacts = ctx.artifacts.as_ref();
    let keys = ctx
        .key(&layout::entities_dir(&ctx.out))
        .and_then(|dir| artifacts.list(&dir))
        .unwrap_or_default();
    let mut saved = BTreeMap::new();
    for key in keys.iter().filter(|k| k.as_str().ends_with(".json")) {
        let bytes = artifacts.get(key).ok().flatten();
        let Some(chapters) = bytes.and_then(|b| parse_saved(&b)) else {
            continue;
        };
        for answer in chapters {
            saved.entry(answer.chapter).or_insert(answer.entities);
        }
    }
    saved
}

/// The chapters pass 1 still has to read (`todo`), grouped into the packs sent as one request
/// each, in the order they are asked (`largest_first`). Packs are cut from the whole book, so a
/// resumed run asks exactly what an uninterrupted one would have asked for the chapters left.
fn entity_packs(ctx: &Context, all: &[ChapterNo], todo: &[ChapterNo]) -> Vec<Vec<ChapterNo>> {
    if !ctx.text.reads_many_chapters() {
        return todo.iter().map(|c| vec![*c]).collect();
    }
    let sizes: Vec<(ChapterNo, usize)> = all
        .iter()
        .filter_map(|no| Some((*no, estimate_tokens(&ctx.book.chapter(*no)?.text))))
        .collect();
    let todo: BTreeSet<ChapterNo> = todo.iter().copied().collect();
    let left = packs(&sizes, ctx.options.chunk_tokens, ctx.options.provider.jobs)
        .into_iter()
        .map(|pack| {
            pack.into_iter()
                .filter(|c| todo.contains(c))
                .collect::<Vec<_>>()
        })
        .filter(|pack| !pack.is_empty())
        .collect();
    largest_first(left, &sizes)
}

type EntitiesOutcome = (Vec<ChapterNo>, Result<Vec<ChapterEntities>, Error>);

async fn entities_task(ctx: Arc<Context>, pack: Vec<ChapterNo>, slot: Slot) -> EntitiesOutcome {
    let outcome = extract_chapters(&ctx, &pack, slot).await;
    (pack, outcome)
}

/// Pass 1 for one pack: ask, save the answer (`entities/NNN.json` for one chapter,
/// `entities/NNN-MMM.json` for several), count the usage.
async fn extract_chapters(
    ctx: &Context,
    pack: &[ChapterNo],
    slot: Slot,
) -> Result<Vec<ChapterEntities>, Error> {
    let (Some(&first), Some(&last)) = (pack.first(), pack.last()) else {
        return Err(Error::Internal("pass 1 was given an empty pack".into()));
    };
    let chapters = pack
        .iter()
        .map(|no| {
            let ch = ctx
                .book
                .chapter(*no)
                .ok_or_else(|| Error::Internal(format!("chapter {no} is not in the book")))?;
            Ok(ChapterRef {
                number: *no,
                title: &ch.title,
                text: &ch.text,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let asked = extract_pack(ctx.text.as_ref(), &chapters, ctx.options.chunk_tokens);
    let (found, usage) = with_slot(&ctx.text_slots(), asked).await?;
    drop(slot);
    let (name, json, found) = match <[ChapterEntities; 1]>::try_from(found) {
        Ok([one]) => {
            let json = serde_json::to_vec_pretty(&one);
            (layout::entities_file_name(one.chapter), json, vec![one])
        }
        Err(found) => {
            let saved = PackEntities { chapters: found };
            let json = serde_json::to_vec_pretty(&saved);
            (layout::pack_file_name(first, last), json, saved.chapters)
        }
    };
    let json = json.map_err(|source| Error::Encode {
        what: "pass-1 answers",
        source,
    })?;
    ctx.write_file(layout::entities_dir(&ctx.out).join(name), json)
        .await?;
    // The request's usage is counted on the pack's first chapter: the total is what matters.
    ctx.state(move |s| s.add_usage(first, usage)).await?;
    Ok(found)
}

/// Pass 2 on every selected chapter still `pending`, in reading order.
async fn pass2(
    ctx: &Arc<Context>,
    shutdown: &Shutdown,
    report: &mut AnalysisReport,
) -> Result<(), Error> {
    let selected = ctx.selected.clone();
    let (todo, already) = ctx
        .read(move |m| {
            let mut todo = Vec::new();
            let mut already = 0;
            for no in &selected {
                match m.chapters.get(no).map(|c| c.status) {
                    Some(Status::Pending) => todo.push(*no),
                    Some(_) => already += 1,
                    None => {}
                }
            }
            (todo, already)
        })
        .await?;
    let total = todo.len() + already;
    ctx.event(Event::Pass2Started { total });
    let mut done = already;
    let mut queue = Queue::new(ctx, todo, |c| Rank::Chapter(*c, Work::Scenes));
    let mut abort = None;
    while let Some(joined) = queue.next(ctx, shutdown, &scenes_task).await {
        // Until every chapter is started one of them waits ahead of the cards no scene showed.
        if !queue.may_start() {
            ctx.text_turns().open_unshown();
        }
        let (chapter, outcome) = joined?;
        match outcome {
            Ok((scenes, reanchored, invented)) => {
                ctx.plan_images(scenes);
                done += 1;
                report.analyzed += 1;
                report.scenes += scenes;
                report.reanchored += reanchored;
                report.invented += invented;
                ctx.event(Event::ChapterAnalyzed {
                    chapter: chapter.0,
                    scenes,
                    done,
                    total,
                });
            }
            // A chapter that waited for cards that failed is not at fault: the run stops.
            Err(err) => match after_failure(&[chapter], is_fatal(&err) || ctx.cast_failed()) {
                AfterFailure::StopTheRun => {
                    abort.get_or_insert(err);
                    queue.cancel();
                }
                _ => fail_chapter(ctx, chapter, err.display_chain(), report).await?,
            },
        }
    }
    abort.map_or(Ok(()), Err)
}

/// Marks `chapter` failed and keeps it in this run's report.
async fn fail_chapter(
    ctx: &Arc<Context>,
    chapter: ChapterNo,
    message: String,
    report: &mut AnalysisReport,
) -> Result<(), Error> {
    ctx.fail_chapter(chapter, &message).await?;
    report.failed.push((chapter, message));
    Ok(())
}

/// Errors that stop the whole run instead of failing one chapter: a refused key, a broken
/// configuration or an unreachable server fails every chapter the same way, and paying for (or
/// waiting on) retries would be pointless.
pub fn is_fatal(err: &Error) -> bool {
    match err {
        Error::Provider(e) => e.stops_the_run(),
        Error::Store(_) | Error::Write { .. } => true,
        _ => false,
    }
}

type ScenesOutcome = (ChapterNo, Result<(usize, usize, usize), Error>);

async fn scenes_task(ctx: Arc<Context>, chapter: ChapterNo, slot: Slot) -> ScenesOutcome {
    (chapter, analyze_chapter(&ctx, chapter, slot).await)
}

/// Pass 2 for one chapter: ask, verify, save `chapters/NNN.json`, mark it analyzed, wake.
async fn analyze_chapter(
    ctx: &Arc<Context>,
    chapter: ChapterNo,
    slot: Slot,
) -> Result<(usize, usize, usize), Error> {
    let Some(ch) = ctx.book.chapter(chapter) else {
        return Err(Error::Internal(format!(
            "chapter {chapter} is not in the book"
        )));
    };
    let lookup = ctx
        .lookup()
        .ok_or_else(|| Error::Internal("pass 2 started before Elements.md".into()))?;
    let options = &ctx.options;
    let count = scene_budget(
        ch.word_count,
        options.words_per_page,
        options.pages_per_image,
        options.limit,
    );
    let input = ChapterInput {
        number: chapter,
        key: &ch.key,
        title: &ch.title,
        text: &ch.text,
    };
    let asked = analyze(
        ctx.text.as_ref(),
        &input,
        count,
        &lookup,
        options.chunk_tokens,
    );
    let analyzed = with_slot(&ctx.text_slots(), asked).await?;
    drop(slot);
    save_scenes(ctx, &analyzed.scenes).await?;
    // Analyzed means claimable: its pictures need the style and the cards of whoever they
    // show, made beside pass 2.
    let shown: BTreeSet<String> = analyzed
        .scenes
        .scenes
        .iter()
        .flat_map(|scene| ctx.elements_for(scene))
        .map(|brief| brief.name)
        .collect();
    // Cards still waiting for a slot that this chapter needs take its turn.
    ctx.text_turns()
        .hurry(&shown, Rank::Chapter(chapter, Work::Cards));
    if !ctx.cast_ready_for(&shown).await {
        return Err(Error::Internal(
            "the appearance cards failed before this chapter could be marked analyzed".into(),
        ));
    }
    let concepts = analyzed.scenes.scenes.len();
    let usage = analyzed.usage;
    ctx.state(move |s| s.mark_analyzed(chapter, concepts as u32, usage, Utc::now()))
        .await?;
    ctx.wake.bump();
    ctx.request_render();
    Ok((concepts, analyzed.reanchored, analyzed.invented))
}

async fn save_scenes(ctx: &Context, scenes: &ChapterScenes) -> Result<(), Error> {
    let json = serde_json::to_vec_pretty(scenes).map_err(|source| Error::Encode {
        what: "chapter scenes",
        source,
    })?;
    ctx.write_file(ctx.chapter_file(scenes.chapter), json)
        .await?;
    Ok(())
}
