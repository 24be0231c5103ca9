//! `imaginize scenes` and `imaginize regenerate`: the review loop on the command line. The work
//! is `crate::review`'s (the web server calls the same functions); this file turns flags into
//! its calls and its answers into lines.

use crate::cli::{RegenerateArgs, RunArgs, ScenesArgs};
use crate::config::{self, Environment};
use crate::error::Error;
use crate::ids::{ChapterNo, SceneNo};
use crate::provider::{self, ProviderKind};
use crate::report::{Reporter, plural};
use crate::review::{Painter, PlannedRequest, Redraw, Redrawn, Review, SceneRow};
use crate::run::Failure;
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

pub fn scenes(args: &ScenesArgs, cwd: &Path, reporter: &Reporter) -> Result<(), Failure> {
    let review = Review::open(&cwd.join(&args.output_dir))?;
    let rows = review.list_scenes(args.chapter.map(ChapterNo))?;
    if args.json {
        let json = serde_json::to_string_pretty(&rows)
            .map_err(|e| Error::Internal(format!("cannot encode the scenes: {e}")))?;
        reporter.output(&format!("{json}\n"));
    } else {
        reporter.output(&table(&rows));
    }
    Ok(())
}

/// One line per scene: chapter, scene, status, current version, versions, description.
fn table(rows: &[SceneRow]) -> String {
    let mut out = format!(
        "{:>7} {:>5}  {:<8} {:>7}  {:<10} description\n",
        "chapter", "scene", "status", "current", "versions"
    );
    for row in rows {
        let current = row
            .current_version
            .map_or_else(|| "-".to_string(), |v| format!("v{v}"));
        let versions: Vec<String> = row.versions.iter().map(|v| v.version.to_string()).collect();
        let versions = if versions.is_empty() {
            "-".to_string()
        } else {
            versions.join(",")
        };
        let description: String = row.description.chars().take(60).collect();
        let _ = writeln!(
            out,
            "{:>7} {:>5}  {:<8} {:>7}  {:<10} {description}",
            row.chapter,
            row.scene,
            serde_json::to_value(row.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            current,
            versions
        );
    }
    out
}

pub fn regenerate(
    args: &RegenerateArgs,
    reporter: &Reporter,
    env: &Environment,
) -> Result<(), Failure> {
    let out = env.cwd.join(&args.output_dir);
    let chapter = ChapterNo(args.chapter.unwrap_or_default());
    let scene = args.scene.map(SceneNo);
    // The same layering as the main command: config files, environment, then these flags.
    let run_args = RunArgs {
        output_dir: Some(out.clone()),
        provider: args.provider,
        image_model: args.image_model.clone(),
        // A dry run, like an estimate, makes no call: it needs no key.
        estimate: args.dry_run,
        ..RunArgs::default()
    };
    let resolved = config::resolve(&run_args, reporter.verbosity(), env)?;
    for warning in &resolved.warnings {
        reporter.warn(warning);
    }
    let options = resolved.options;
    let review = Review::open(&out)?.with_lease(Duration::from_secs(options.lease_secs));
    if let Some(scene) = scene {
        if let Some(version) = args.use_version {
            let row = review.choose_version(chapter, scene, version)?;
            reporter.output(&format!(
                "chapter {chapter} scene {scene}: version {version} is current ({})\n",
                row.image.unwrap_or_default()
            ));
            return Ok(());
        }
        if args.reject || args.unreject {
            review.reject(chapter, scene, args.reject)?;
            let what = if args.reject {
                "rejected: kept on disk, left out of compiled outputs"
            } else {
                "no longer rejected"
            };
            reporter.output(&format!("chapter {chapter} scene {scene} {what}\n"));
            return Ok(());
        }
    }
    let models = provider::build(&options.provider)?;
    let painter = Painter {
        image: models.image,
        // The seed the run's pictures were drawn with.
        options: crate::provider::ImageOptions {
            seed: Some(crate::provider::book_seed(&review.book_title()?)),
            ..options.image.clone()
        },
        // The style the run's pictures carry (style.json over the config), so a redraw matches.
        style: crate::style::effective(options.style.as_ref(), crate::style::read(&out)?.as_ref())
            .map(|s| s.line()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| Error::System {
            what: "start the async runtime",
            source,
        })?;
    if let Some(name) = &args.portrait {
        let path = runtime.block_on(review.regenerate_portrait(name, &painter))?;
        reporter.output(&format!("portrait redrawn: {path}\n"));
        return Ok(());
    }
    let redraw = Redraw {
        chapter,
        scene,
        description: args.description.clone(),
    };
    if args.dry_run {
        let planned = review.plan(&redraw, &painter)?;
        reporter.output(&format!("{}\n", describe_plan(&planned, &options)));
        return Ok(());
    }
    let redrawn = runtime.block_on(review.regenerate(&redraw, &painter))?;
    reporter.output(&format!("{}\n", describe_redrawn(&redrawn)));
    Ok(())
}

fn describe_plan(planned: &[PlannedRequest], options: &config::Options) -> String {
    let mut out = String::new();
    for (i, request) in planned.iter().enumerate() {
        let _ = writeln!(
            out,
            "request {}: image, chapter {} scene {}, model {}, size {}\n  prompt: {}",
            i + 1,
            request.chapter,
            request.scene,
            request.model,
            request.size,
            request.prompt.replace('\n', "\n          ")
        );
    }
    let images = planned.len();
    let cost = match options.provider.kind {
        ProviderKind::Builtin => "$0.00 (the builtin provider is free)".to_string(),
        _ => options
            .price_table()
            .get(&options.provider.image.model)
            .map_or_else(
                || format!("unknown (no price for `{}`)", options.provider.image.model),
                |price| format!("${:.2}", price.per_image * images as f64),
            ),
    };
    let _ = write!(
        out,
        "dry run: {} would be made, estimated cost {cost}; nothing was changed",
        plural(images, "image request")
    );
    out
}

fn describe_redrawn(redrawn: &[Redrawn]) -> String {
    let lines: Vec<String> = redrawn
        .iter()
        .map(|r| match r {
            Redrawn::Drawn {
                chapter,
                scene,
                version,
                path,
            } => format!("chapter {chapter} scene {scene}: drew version {version} ({path})"),
            Redrawn::Refused {
                chapter,
                scene,
                reason,
            } => format!(
                "chapter {chapter} scene {scene}: the provider refused ({reason}); its image is unchanged"
            ),
        })
        .collect();
    lines.join("\n")
}
