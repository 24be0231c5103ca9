//! The run's side of a series (`series: DIR`): the merged cast joins the series' cast before
//! its cards are made (returning elements keep the series' description and card), and goes back
//! into the series once Elements.md is written, with the style when the series has none yet.

use crate::analyze::model::Catalogue;
use crate::error::Error;
use crate::events::Event;
use crate::pipeline::context::Context;
use crate::series::{Series, cast};
use crate::store::{PortraitStatus, WorkerId};
use crate::style::Style;
use std::sync::Arc;

/// Joins `catalogue` to the series the run belongs to, if any; returns the series.
pub async fn join(ctx: &Arc<Context>, catalogue: &mut Catalogue) -> Result<Option<Series>, Error> {
    let Some(dir) = ctx.options.series.clone() else {
        return Ok(None);
    };
    let (series, shared) = blocking(move || {
        let series = Series::open(&dir)?;
        let (_, shared) = series.read()?;
        Ok((series, shared))
    })
    .await?;
    let joined = cast::join(&shared, catalogue, &ctx.book.title);
    ctx.event(Event::Note(format!(
        "series: {} from the earlier books",
        crate::report::plural(joined.returning.len(), "returning element")
    )));
    Ok(Some(series))
}

/// Records the book's cast (with its cards) and, when the series has none, its style.
pub async fn record(
    ctx: &Arc<Context>,
    series: Series,
    catalogue: &Catalogue,
    style: Option<&Style>,
) -> Result<(), Error> {
    let (catalogue, style, title) = (catalogue.clone(), style.cloned(), ctx.book.title.clone());
    blocking(move || {
        series.update(|file, shared| {
            cast::record(shared, &catalogue, &title);
            if file.style.is_none() {
                file.style = style;
            }
        })
    })
    .await
}

/// The wanted portraits of returning characters that the series already has: copied into the
/// book's folder and recorded as drawn, so none is requested again.
pub async fn adopt_portraits(ctx: &Arc<Context>, series: &Series) -> Result<usize, Error> {
    let wanted: Vec<(String, String)> = ctx
        .read(|m| {
            m.portraits
                .iter()
                .filter(|(_, p)| p.status == PortraitStatus::Wanted)
                .map(|(slug, p)| (slug.clone(), p.name.clone()))
                .collect()
        })
        .await?;
    if wanted.is_empty() {
        return Ok(0);
    }
    let (owned, names) = (series.clone(), wanted.clone());
    let pictures: Vec<(String, Vec<u8>)> = blocking(move || {
        let (_, shared) = owned.read()?;
        Ok(names
            .iter()
            .filter_map(|(slug, name)| {
                let file = shared
                    .elements
                    .iter()
                    .find(|e| &e.name == name)?
                    .portrait
                    .clone()?;
                let bytes = std::fs::read(owned.portrait_path(&file)).ok()?;
                Some((slug.clone(), bytes))
            })
            .collect())
    })
    .await?;
    let worker = WorkerId::current();
    let mut adopted = 0;
    for (slug, bytes) in pictures {
        if crate::illustrate::portraits::adopt(ctx, &slug, bytes, &worker).await? {
            adopted += 1;
        }
    }
    if adopted > 0 {
        ctx.event(Event::Note(format!(
            "series: {} from the earlier books",
            crate::report::plural(adopted, "portrait")
        )));
    }
    Ok(adopted)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::series::Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|source| Error::Task {
            what: "series",
            source,
        })?
        .map_err(Error::from)
}
