//! The run's side of a series (`series: DIR`): the merged cast joins the series' cast before
//! its cards are made (returning elements keep the series' description and card), and goes back
//! into the series once Elements.md is written, with the style when the series has none yet.

use crate::analyze::model::Catalogue;
use crate::error::Error;
use crate::events::Event;
use crate::pipeline::context::Context;
use crate::series::{Series, cast};
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
