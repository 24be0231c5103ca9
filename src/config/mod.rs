//! Layered configuration: defaults < `~/.imaginize.config` < `./.imaginize.config` < environment
//! < flags, with `${VAR}` expansion and warnings for unknown keys. Turns the raw `cli::RunArgs`
//! into the resolved `Options` the core sees. Reads no files other than config files.

mod env;
mod error;
mod file;
mod provider_choice;
mod sample;
mod selection;

pub use env::Environment;
pub use error::Error;
pub use file::{Layer, Price};
pub use sample::{SAMPLE, write_sample};
pub use selection::ChapterSelection;

use crate::cli::RunArgs;
use crate::provider::{ImageOptions, Settings};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which parts of the job a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phases {
    /// Pass 1: the cast → Elements.md.
    pub entities: bool,
    /// Pass 2: the scenes → Chapters.md.
    pub scenes: bool,
    /// Illustration.
    pub images: bool,
}

/// Analysis and illustration at once, or one after the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecMode {
    Concurrent,
    Sequential,
}

/// How to treat earlier work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resume {
    pub force: bool,
    pub retry_failed: bool,
    pub clear_errors: bool,
    pub skip_failed: bool,
}

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    Quiet,
    #[default]
    Normal,
    Verbose,
}

/// Reference portraits drawn unless `portraits` says otherwise.
pub const DEFAULT_PORTRAITS: usize = 6;

/// The resolved options: every layer merged, paths absolute, provider chosen.
#[derive(Debug, Clone)]
pub struct Options {
    pub book: Option<PathBuf>,
    pub output_dir: Option<PathBuf>,
    pub phases: Phases,
    pub mode: ExecMode,
    pub resume: Resume,
    pub chapters: Option<ChapterSelection>,
    /// Pass 1 reads only the selected chapters (`--cast selected` with `--chapters`).
    pub cast_selected: bool,
    pub limit: Option<usize>,
    pub estimate: bool,
    pub provider: Settings,
    pub image: ImageOptions,
    pub pages_per_image: f64,
    pub words_per_page: usize,
    /// Reference portraits for the cast's this many most present characters (`portraits`,
    /// default 6; 0 disables them).
    pub portraits: usize,
    pub chunk_tokens: usize,
    /// The style guide from config; `style.json` may override it (`crate::style::effective`).
    pub style: Option<crate::style::Style>,
    pub lease_secs: u64,
    pub poll_secs: f64,
    /// How long a manifest write waits for the folder's lock (`lockTimeoutSecs`, default 30).
    pub lock_timeout_secs: f64,
    /// Wait for chapters held by other live workers before ending (`--no-wait` turns it off).
    pub wait_for_others: bool,
    /// Whether the state records where the book was read from (for `compile --output-dir`). A
    /// scale worker reads its copy in a folder thrown away after the run: not worth a write.
    pub record_book_path: bool,
    /// Where the book's state is kept; `None` for the output folder's manifest (the default).
    pub store: Option<StoreUrl>,
    /// The series folder the book belongs to (`--series`, config `series`).
    pub series: Option<PathBuf>,
    /// Where the book's artifacts (pass-1 answers, chapter scenes, images, the cast) are kept:
    /// a `file://` or `s3://` URL; `None` for the output folder (the default).
    pub artifacts: Option<String>,
    /// Failed runs of a queued book before a worker dead-letters it (`maxAttempts`, default 3).
    pub max_attempts: u32,
    pub prices: BTreeMap<String, Price>,
    pub verbosity: Verbosity,
}

/// A PostgreSQL URL for the book's state (`--store`). It may hold a password, so `Debug` shows
/// it redacted and `expose` is the one way to the real value, for connecting.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreUrl(String);

impl StoreUrl {
    /// Accepts `postgres://` and `postgresql://` URLs.
    pub fn parse(url: &str) -> Result<StoreUrl, Error> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(StoreUrl(url.to_string()));
        }
        Err(Error::Invalid(format!(
            "--store (store, IMAGINIZE_STORE) must be a postgres:// URL, not `{}`",
            crate::store::postgres::redact(url)
        )))
    }

    /// The URL with its password, for connecting and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL as it may be shown.
    pub fn redacted(&self) -> String {
        crate::store::postgres::redact(&self.0)
    }
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreUrl({})", self.redacted())
    }
}

impl Options {
    /// The default prices with the configured ones (`prices:`) over them.
    pub fn price_table(&self) -> crate::provider::prices::PriceTable {
        use crate::provider::prices::{Price, PriceTable};
        let configured = self
            .prices
            .iter()
            .map(|(model, p)| {
                let price = Price {
                    input_per_mtok: p.input_per_million.unwrap_or(0.0),
                    output_per_mtok: p.output_per_million.unwrap_or(0.0),
                    per_image: p.per_image.unwrap_or(0.0),
                };
                (model.clone(), price)
            })
            .collect();
        PriceTable::defaults().with_overrides(&configured)
    }
}

/// Options plus what the user should be told about how they were chosen.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub options: Options,
    /// Problems that did not stop the run (unknown keys).
    pub warnings: Vec<String>,
    /// Facts worth one line (the builtin provider was chosen because no key is set).
    pub notices: Vec<String>,
}

/// The config files that apply, lowest precedence first.
pub fn config_paths(env: &Environment) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(home) = &env.home {
        paths.push(home.join(".imaginize.config"));
    }
    let local = env.cwd.join(".imaginize.config");
    if !paths.contains(&local) {
        paths.push(local);
    }
    paths
}

/// Reads every layer and resolves the options for a run.
pub fn resolve(args: &RunArgs, verbosity: Verbosity, env: &Environment) -> Result<Resolved, Error> {
    let mut layer = Layer::default();
    let mut warnings = Vec::new();
    for path in config_paths(env) {
        let Some(parsed) = read_file(&path, env)? else {
            continue;
        };
        warnings.extend(parsed.warnings);
        layer = layer.overlay(parsed.layer);
    }
    layer = layer.overlay(env::layer(env)?);
    layer = layer.overlay(flags_layer(args));
    let (provider, notices) = provider_choice::settings(&layer, args, env)?;
    let options = build_options(args, layer, provider, verbosity, env)?;
    Ok(Resolved {
        options,
        warnings,
        notices,
    })
}

fn read_file(path: &Path, env: &Environment) -> Result<Option<file::Parsed>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    file::parse(&text, path, &|name| env.var(name)).map(Some)
}

fn flags_layer(args: &RunArgs) -> Layer {
    Layer {
        base_url: args.base_url.clone(),
        api_key: args.api_key.clone(),
        model: args.model.clone(),
        image_model: args.image_model.clone(),
        jobs: args.jobs,
        image_jobs: args.image_jobs,
        store: args.store.clone(),
        series: args
            .series
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
        artifacts: args.artifacts.clone(),
        concurrent: if args.concurrent {
            Some(true)
        } else if args.sequential {
            Some(false)
        } else {
            None
        },
        ..Layer::default()
    }
}

fn phases(args: &RunArgs) -> Phases {
    if !(args.text || args.elements || args.images) {
        return Phases {
            entities: true,
            scenes: true,
            images: true,
        };
    }
    Phases {
        entities: args.text || args.elements,
        scenes: args.text,
        images: args.images,
    }
}

fn build_options(
    args: &RunArgs,
    layer: Layer,
    provider: Settings,
    verbosity: Verbosity,
    env: &Environment,
) -> Result<Options, Error> {
    let chapters = args
        .chapters
        .as_deref()
        .map(ChapterSelection::parse)
        .transpose()?;
    let pages_per_image = layer.pages_per_image.unwrap_or(10.0);
    if !(pages_per_image.is_finite() && pages_per_image > 0.0) {
        return Err(Error::Invalid(format!(
            "pagesPerImage must be a positive number, not {pages_per_image}"
        )));
    }
    if args.limit == Some(0) {
        return Err(Error::Invalid("--limit must be at least 1".into()));
    }
    let concurrent = layer
        .concurrent
        .or(layer.experimental_concurrent)
        .unwrap_or(true);
    let absolute = |path: &Path| env.cwd.join(path);
    Ok(Options {
        book: args.file.as_deref().map(absolute),
        output_dir: args
            .output_dir
            .clone()
            .or(layer.output_dir.map(PathBuf::from))
            .map(|p| absolute(&p)),
        phases: phases(args),
        mode: if concurrent {
            ExecMode::Concurrent
        } else {
            ExecMode::Sequential
        },
        resume: Resume {
            force: args.force,
            retry_failed: args.retry_failed,
            clear_errors: args.clear_errors,
            skip_failed: args.skip_failed,
        },
        cast_selected: args.cast == crate::cli::CastArg::Selected && chapters.is_some(),
        chapters,
        limit: args.limit,
        estimate: args.estimate,
        provider,
        image: ImageOptions {
            size: layer.image_size.unwrap_or_else(|| "1024x1024".into()),
            quality: layer.image_quality,
            // Per book, not per configuration: the run sets it from the book (book_seed).
            seed: None,
        },
        pages_per_image,
        words_per_page: layer.words_per_page.unwrap_or(300).max(1),
        portraits: layer.portraits.unwrap_or(DEFAULT_PORTRAITS),
        chunk_tokens: layer.chunk_tokens.unwrap_or(24_000).max(500),
        style: layer.style,
        lease_secs: layer.lease_secs.unwrap_or(60).max(2),
        poll_secs: layer.poll_secs.unwrap_or(1.0).max(0.05),
        lock_timeout_secs: layer.lock_timeout_secs.unwrap_or(30.0).max(0.1),
        wait_for_others: !args.no_wait && layer.wait_for_others.unwrap_or(true),
        record_book_path: true,
        store: layer.store.as_deref().map(StoreUrl::parse).transpose()?,
        series: layer.series.map(|dir| env.cwd.join(dir)),
        artifacts: layer.artifacts.as_deref().map(artifacts_url).transpose()?,
        max_attempts: layer.max_attempts.unwrap_or(3).max(1),
        prices: layer.prices.unwrap_or_default(),
        verbosity,
    })
}

/// `--artifacts`: a `file://` or `s3://` URL (a plain folder is what `--output-dir` is for).
fn artifacts_url(url: &str) -> Result<String, Error> {
    let url = url.trim();
    if url.starts_with("file://") || url.starts_with("s3://") {
        return Ok(url.to_string());
    }
    Err(Error::Invalid(format!(
        "--artifacts (artifacts, IMAGINIZE_ARTIFACTS) must be a file:// or s3:// URL, not `{url}`"
    )))
}

#[cfg(test)]
mod tests;
