//! `imaginize regenerate --portrait NAME`: a cast member's reference portrait drawn again, now,
//! under its claim (docs/consistency.md). Asked for again first (`redo_portrait`), so a portrait
//! an illustrator is drawing at that moment is `Busy` rather than drawn twice; the new picture
//! replaces the old one, and the scenes drawn after it follow it.

use super::{Error, Painter, Review};
use crate::analyze::lookup::ElementsLookup;
use crate::error::Error as RunError;
use crate::illustrate::portraits::portrait_request;
use crate::provider::{ElementBrief, ImageFormat};
use crate::store::{PortraitOutcome, Usage, WorkerId, atomic, layout};
use chrono::Utc;

impl Review {
    /// Redraws the portrait of the cast member `name` (its name or an alias, any case) and
    /// returns the picture's path relative to the output folder.
    pub async fn regenerate_portrait(
        &self,
        name: &str,
        painter: &Painter,
    ) -> Result<String, Error> {
        let (brief, title) = self.cast_member(name)?;
        let slug = layout::element_slug(&brief.name);
        let state = self.state.clone();
        let wanted = [(slug.clone(), brief.name.clone())];
        let worker = WorkerId::current();
        let alive = state.register_worker(&worker)?;
        state.want_portraits(&wanted)?;
        if !state.redo_portrait(&slug)? {
            return Err(Error::Usage(format!(
                "{}'s portrait is being drawn by another worker now; try again once it is done",
                brief.name
            )));
        }
        let claimed = state.claim_portrait(Some(&slug), &worker, self.lease, Utc::now())?;
        if claimed.is_none() {
            return Err(Error::Usage(format!(
                "{}'s portrait was claimed by another worker meanwhile",
                brief.name
            )));
        }
        let request = portrait_request(
            &title,
            &brief,
            painter.style.as_deref(),
            painter.image.max_prompt_chars(),
        );
        let prompt = self.out.join(layout::portrait_prompt_file_name(&slug));
        atomic::write_creating_folder(&prompt, request.prompt.as_bytes())?;
        let drawn = painter.image.generate(&request, &painter.options).await;
        let (bytes, _) = match drawn {
            Ok(answer) => answer,
            Err(err) => {
                let _ = state.release_portrait(&slug, &worker);
                return Err(err.into());
            }
        };
        let Some(format) = ImageFormat::detect(&bytes) else {
            let _ = state.release_portrait(&slug, &worker);
            return Err(Error::NotAnImage {
                what: format!("{}'s portrait", brief.name),
            });
        };
        let relative = layout::portrait_file_name(&slug, format.extension());
        atomic::write_creating_folder(&self.out.join(&relative), &bytes)?;
        let usage = Usage {
            images: 1,
            ..Usage::default()
        };
        let first = state
            .snapshot()?
            .and_then(|m| m.chapters.keys().next().copied())
            .unwrap_or(crate::ids::ChapterNo(1));
        let outcome = PortraitOutcome::Image(relative.clone());
        state.record_portrait(&slug, &worker, &outcome, (first, usage))?;
        alive.retire();
        Ok(relative)
    }

    /// The cast member called `name` in Elements.md, and the book's title.
    fn cast_member(&self, name: &str) -> Result<(ElementBrief, String), Error> {
        let path = layout::elements_md_path(&self.out);
        let text = std::fs::read_to_string(&path).map_err(|source| RunError::Read {
            path: path.clone(),
            source,
        })?;
        let lookup = ElementsLookup::parse_markdown(&text).map_err(|e| RunError::Corrupt {
            path,
            message: e.to_string(),
        })?;
        let wanted = name.trim().to_lowercase();
        let found = lookup.elements.iter().find(|e| {
            e.name.to_lowercase() == wanted
                || e.aliases.iter().any(|a| a.to_lowercase() == wanted)
                || layout::element_slug(&e.name) == layout::element_slug(name)
        });
        let Some(e) = found else {
            return Err(Error::Usage(format!(
                "`{name}` is not in the cast (Elements.md lists it)"
            )));
        };
        let brief = ElementBrief {
            name: e.name.clone(),
            kind: e.kind,
            description: e.description.clone(),
            appearance: e.appearance.clone(),
        };
        Ok((brief, lookup.title.clone()))
    }
}
