//! `imaginize style --output-dir D [--set "…"] [--from-book] [--show]`: the book's style guide.
//! A style set here (or asked of the model with --from-book) is recorded in `style.json` as the
//! folder's own and wins over the config key; Elements.md's style section is rewritten to match.
//! `--set` works on a folder no run has made yet: the first run then uses that style.

use crate::cli::{RunArgs, StyleArgs};
use crate::config;
use crate::error::Error;
use crate::pipeline::looks::{ask_style, earlier_cast, style_request_for};
use crate::render::replace_style_section;
use crate::report::Reporter;
use crate::run::outputs::{locate, require_manifest};
use crate::store::{self, layout};
use crate::style::{self, Source, Style, StyleFile};
use std::path::Path;

pub fn run(args: &StyleArgs, reporter: &Reporter, env: &config::Environment) -> Result<(), Error> {
    let out = env.cwd.join(&args.output_dir);
    // A style may be set before the first run (the run then asks for none); reading it back or
    // asking the model about the book needs the folder a run made.
    if args.set.is_none() {
        require_manifest(&out)?;
    }
    let run_args = RunArgs {
        file: args.file.clone(),
        output_dir: Some(out.clone()),
        provider: args.provider,
        model: args.model.clone(),
        base_url: args.base_url.clone(),
        api_key: args.api_key.clone(),
        ..RunArgs::default()
    };
    let resolved = config::resolve(&run_args, reporter.verbosity(), env)?;
    for warning in &resolved.warnings {
        reporter.warn(warning);
    }
    let options = resolved.options;
    let saved = style::read(&out)?;
    let chosen = if let Some(text) = &args.set {
        let current = style::effective(options.style.as_ref(), saved.as_ref()).unwrap_or_default();
        Some(current.with_set(text))
    } else if args.from_book {
        Some(from_book(args, &out, &options, env, reporter)?)
    } else {
        None
    };
    if let Some(style) = chosen {
        record(&out, style)?;
        reporter.info(&format!(
            "style of `{}` set; run `imaginize --images --force` to redraw with it",
            out.display()
        ));
    }
    if args.show || (args.set.is_none() && !args.from_book) {
        reporter.output(&show(options.style.as_ref(), style::read(&out)?.as_ref()));
    }
    Ok(())
}

/// Asks the configured text model for a style from the book and its cast.
fn from_book(
    args: &StyleArgs,
    out: &Path,
    options: &config::Options,
    env: &config::Environment,
    reporter: &Reporter,
) -> Result<Style, Error> {
    let (book_path, _) = locate(args.file.as_deref(), Some(out), &env.cwd)?;
    let book = crate::book::load(&book_path)?;
    let request = style_request_for(&book, &earlier_cast(out));
    let models = crate::provider::build(&options.provider)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::System {
            what: "start the async runtime",
            source,
        })?;
    let (style, usage, note) = runtime.block_on(ask_style(models.text.as_ref(), &request))?;
    if let Some(note) = note {
        reporter.warn(&note);
    }
    store::folder_state(out, store::DEFAULT_LOCK_TIMEOUT)?.add_usage(request.chapter, usage)?;
    Ok(style)
}

/// Writes `style.json` as the folder's own style and puts it into Elements.md, if there is one.
fn record(out: &Path, style: Style) -> Result<(), Error> {
    let md_path = layout::elements_md_path(out);
    let md = match std::fs::read_to_string(&md_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(Error::Read {
                path: md_path,
                source,
            });
        }
    };
    if let Some(md) = md {
        let updated = replace_style_section(&md, &style);
        store::atomic::write(&md_path, updated.as_bytes())?;
    }
    store::atomic::create_dir(out)?;
    style::write(
        out,
        &StyleFile {
            source: Source::Set,
            style,
        },
    )?;
    Ok(())
}

/// The style in effect, field by field, and where it comes from.
fn show(config: Option<&Style>, saved: Option<&StyleFile>) -> String {
    let Some(style) = style::effective(config, saved) else {
        return "No style yet: the next run's pass 1 proposes one from the book (or set one with \
                --set, or the config key `style`)."
            .to_string();
    };
    // The same order as `style::effective`.
    let origin = match saved {
        Some(f) if f.source == Source::Set && !f.style.is_empty() => {
            "set for this folder (style.json)"
        }
        _ if config.is_some_and(|c| !c.is_empty()) => "from the config key `style`",
        _ => "proposed from the book (style.json)",
    };
    let mut text = format!("Style, {origin}:\n");
    for (label, value) in style.fields() {
        if !value.is_empty() {
            text.push_str(&format!("  {label}: {value}\n"));
        }
    }
    if style.invent {
        text.push_str("  Appearance cards may invent what the book does not say.\n");
    }
    text.push_str(&format!(
        "Every image prompt carries: Style: {}",
        style.line()
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_says_where_the_style_comes_from() {
        let book = StyleFile {
            source: Source::Book,
            style: Style::text("etching"),
        };
        let config = Style::text("oils");
        assert!(show(None, Some(&book)).contains("proposed from the book"));
        assert!(show(Some(&config), Some(&book)).contains("from the config key"));
        let set = StyleFile {
            source: Source::Set,
            ..book
        };
        let shown = show(Some(&config), Some(&set));
        assert!(shown.contains("set for this folder"), "{shown}");
        assert!(shown.ends_with("Style: etching"), "{shown}");
        assert!(show(None, None).starts_with("No style yet"));
    }
}
