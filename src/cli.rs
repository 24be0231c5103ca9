//! The command line as typed: clap definitions and nothing else. `config` turns these raw values
//! into resolved `Options`; nothing here does any work.

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Turn a book (EPUB, MOBI/AZW/AZW3, PDF, DOCX, HTML, TXT, Markdown) into an illustration guide
/// and its illustrations.
///
/// Without a subcommand, imaginize analyses the book (cast → Elements.md, scenes → Chapters.md)
/// and illustrates every scene, resuming wherever an earlier run stopped.
#[derive(Debug, Parser)]
#[command(
    name = "imaginize",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Run `imaginize inspect <book>` to see the chapters that will be processed.\n\
                  Configuration: ./.imaginize.config, ~/.imaginize.config (YAML or JSON), IMAGINIZE_* \
                  environment variables, then flags; create a sample with --init-config."
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Print one status line per event.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Print only errors and the final summary.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the book's title, author and chapters (number, title, words, key, story or not).
    Inspect(InspectArgs),
    /// Rebuild Elements.md, Chapters.md and Contents.md from the saved state alone.
    Render(RenderArgs),
    /// Build an illustrated EPUB, an HTML gallery, a CBZ and/or an illustrated PDF from an
    /// output folder.
    Compile(CompileArgs),
    /// List the scenes of an output folder: status (drawn, pending, refused, rejected), current
    /// image version and the versions on disk.
    Scenes(ScenesArgs),
    /// Redraw one scene (or every scene of a chapter) with the configured image provider,
    /// keeping older images as versions; or choose a version (--use-version), reject a scene
    /// (--reject) or take that back (--unreject).
    Regenerate(RegenerateArgs),
    /// Show or change the book's style guide (art style, medium, palette, era and setting,
    /// framing) that every image prompt carries; redraw with `--images --force` after a change.
    Style(StyleArgs),
    /// Serve a local web dashboard of one or more output folders: progress, ETA, chapter grid,
    /// live thumbnails, the cast (editable) and each scene. Prints `Serving on http://HOST:PORT/`.
    Serve(ServeArgs),
    /// Queue books for workers: each is uploaded to --artifacts and queued in --store; prints
    /// one id per book (docs/scale-out.md).
    Submit(crate::scale::SubmitArgs),
    /// Take queued books and run them (state in --store, files in --artifacts) until stopped.
    Worker(crate::scale::WorkerArgs),
    /// List the queued books, their chapters by state, the workers and their leases.
    Status(crate::scale::StatusArgs),
    /// Write a queued book's output folder (as a local run writes it) from --store and
    /// --artifacts.
    Export(crate::scale::ExportArgs),
    /// Keep books of one series together: they share the cast (descriptions and appearance
    /// cards), the style guide and the reference portraits. Run a book with `--series DIR`.
    #[command(subcommand)]
    Series(SeriesCommand),
}

#[derive(Debug, Subcommand)]
pub enum SeriesCommand {
    /// Make DIR a series folder (an old tool's .imaginize.series.json there is converted).
    Init {
        /// The series folder.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// The series' name (default: the folder's name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Add books to the series, in reading order (a book already in it keeps its place).
    Add {
        /// The series folder.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// The books, in reading order.
        #[arg(value_name = "BOOK", required = true)]
        books: Vec<PathBuf>,
    },
    /// Show the series: its books and its shared cast.
    Show {
        /// The series folder.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Print series.json and cast.json as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, ClapArgs)]
pub struct ScenesArgs {
    /// The output folder of an earlier run.
    #[arg(long, value_name = "DIR")]
    pub output_dir: PathBuf,
    /// Only this chapter's scenes.
    #[arg(long, value_name = "N")]
    pub chapter: Option<u32>,
    /// Print JSON (one array of scenes, see the README) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, ClapArgs)]
pub struct RegenerateArgs {
    /// The output folder of an earlier run.
    #[arg(long, value_name = "DIR")]
    pub output_dir: PathBuf,
    /// The chapter whose scenes to change.
    #[arg(long, value_name = "N", required_unless_present = "portrait")]
    pub chapter: Option<u32>,
    /// Redraw this cast member's reference portrait (images/cast/) instead of scenes.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["chapter", "scene", "dry_run"])]
    pub portrait: Option<String>,
    /// Only this scene (default: every scene of the chapter).
    #[arg(long, value_name = "M")]
    pub scene: Option<u32>,
    /// Replace the scene's description (kept in chapters/NNN.json) before drawing it.
    #[arg(long, value_name = "TEXT", requires = "scene")]
    pub description: Option<String>,
    /// Print the image requests and their cost, and change nothing.
    #[arg(long, conflicts_with_all = ["use_version", "reject", "unreject"])]
    pub dry_run: bool,
    /// Make version V of the scene current instead of drawing (no request is made).
    #[arg(long, value_name = "V", requires = "scene", conflicts_with_all = ["description", "reject", "unreject"])]
    pub use_version: Option<u32>,
    /// Reject the scene: its images are kept, compiled outputs leave it out, Chapters.md marks it.
    #[arg(long, requires = "scene", conflicts_with_all = ["description", "unreject"])]
    pub reject: bool,
    /// Take a rejection back.
    #[arg(long, requires = "scene", conflicts_with = "description")]
    pub unreject: bool,
    /// Provider (default: as configured, like the main command).
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// Image model name (default: as configured).
    #[arg(long, value_name = "NAME")]
    pub image_model: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct StyleArgs {
    /// The output folder of the book.
    #[arg(long, value_name = "DIR")]
    pub output_dir: PathBuf,
    /// Set the style for this folder (it wins over the config key `style`): free text for the
    /// whole art style, or "field: value; …" to change fields (art style, medium, palette, era
    /// and setting, framing, invent: yes|no).
    #[arg(long, value_name = "TEXT", conflicts_with = "from_book")]
    pub set: Option<String>,
    /// Ask the text model for a style from the book's opening chapters and its cast, and set it
    /// for this folder.
    #[arg(long)]
    pub from_book: bool,
    /// Print the style in effect and where it comes from (the default without --set or
    /// --from-book).
    #[arg(long)]
    pub show: bool,
    /// The book (default: the file named in the folder's manifest), for --from-book.
    #[arg(short, long, value_name = "BOOK")]
    pub file: Option<PathBuf>,
    /// Provider for --from-book: builtin (offline), openai or gemini.
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// Text model for --from-book.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Base URL of the text API for --from-book.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// API key of the text provider for --from-book (prefer the environment).
    #[arg(long, value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct ServeArgs {
    /// An output folder to show (repeatable). Default: every book folder in --library, or in
    /// the current folder (a folder with a manifest).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Vec<PathBuf>,
    /// A folder whose subfolders are output folders; new ones show up without a restart.
    #[arg(long, value_name = "DIR")]
    pub library: Option<PathBuf>,
    /// The address to listen on. Any other than a loopback address needs a token (--token, or
    /// one is generated and printed once).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The port; 0 picks a free one.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The token every request must carry (`?token=`, `Authorization: Bearer`, or the cookie
    /// the first visit sets). Also read from IMAGINIZE_SERVE_TOKEN.
    #[arg(long, env = "IMAGINIZE_SERVE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The text model whose prices the cost shown is computed with.
    #[arg(long, default_value = "gpt-4o-mini")]
    pub model: String,
    /// The image model whose prices the cost shown is computed with.
    #[arg(long, default_value = "gpt-image-1")]
    pub image_model: String,
    /// The run's `--jobs` and `--image-jobs` when the dashboard runs beside it (`--serve`): the
    /// rates to expect before any is measured.
    #[arg(skip)]
    pub limits: Option<(usize, usize)>,
}

#[derive(Debug, ClapArgs)]
pub struct CompileArgs {
    /// The book the output folder was made from. Default: the file named in the folder's
    /// manifest, looked for beside the folder and in the current folder.
    #[arg(short, long, value_name = "BOOK")]
    pub file: Option<PathBuf>,
    /// The output folder. Default: imaginize_<book stem> in the current folder.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    #[command(flatten)]
    pub formats: FormatArgs,
}

/// Which compiled outputs to build; none given means all.
#[derive(Debug, Default, Clone, ClapArgs)]
pub struct FormatArgs {
    /// Build <out>/<stem>-illustrated.epub.
    #[arg(long)]
    pub epub: bool,
    /// Build <out>/gallery/index.html.
    #[arg(long)]
    pub html: bool,
    /// Build <out>/<stem>.cbz.
    #[arg(long)]
    pub cbz: bool,
    /// Build <out>/<stem>-illustrated.pdf.
    #[arg(long)]
    pub pdf: bool,
    /// Build all four.
    #[arg(long)]
    pub all: bool,
    /// PDF layout: the book's text with its pictures, or a picture book of COLSxROWS scenes
    /// per page (wider than tall grids print in landscape).
    #[arg(long, value_enum, default_value_t, value_name = "LAYOUT")]
    pub layout: LayoutArg,
    /// Where a scene's quote goes in the PDF.
    #[arg(long, value_enum, default_value_t, value_name = "STYLE")]
    pub caption_style: CaptionArg,
    /// PDF paper size.
    #[arg(long, value_enum, default_value_t, value_name = "SIZE")]
    pub page_size: PageSizeArg,
    /// Leave the contents page out of the PDF.
    #[arg(long)]
    pub no_toc: bool,
    /// Leave the cast pages out of the PDF.
    #[arg(long)]
    pub no_cast: bool,
    /// TrueType/OpenType font for the PDF (default: the bundled DejaVu Sans).
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,
}

/// `--layout` values.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    /// The chapter text, each picture after the paragraph it illustrates.
    #[default]
    Book,
    /// One scene per page.
    #[value(name = "1x1")]
    Grid1x1,
    /// Four scenes per page: 2 columns, 2 rows.
    #[value(name = "2x2")]
    Grid2x2,
    /// A strip of 4 scenes side by side, landscape.
    #[value(name = "4x1")]
    Grid4x1,
    /// Twelve scenes per page: 6 columns, 2 rows, landscape.
    #[value(name = "6x2")]
    Grid6x2,
}

/// `--caption-style` values.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CaptionArg {
    /// The quote under the picture.
    #[default]
    Below,
    /// The quote on a translucent band over the bottom of the picture.
    Overlay,
    /// Pictures only.
    None,
}

/// `--page-size` values.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PageSizeArg {
    #[default]
    A4,
    A5,
    Letter,
    Legal,
}

#[derive(Debug, ClapArgs)]
pub struct InspectArgs {
    /// The book to inspect (.epub, .mobi, .azw, .azw3, .pdf, .docx, .html, .htm, .txt, .md).
    pub book: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, ClapArgs)]
pub struct RenderArgs {
    /// The output folder of an earlier run.
    #[arg(long, value_name = "DIR")]
    pub output_dir: PathBuf,
}

/// Which chapters pass 1 reads for the cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum CastArg {
    #[default]
    All,
    Selected,
}

/// Which provider family to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    /// Offline and deterministic; no key, no network.
    Builtin,
    /// Any OpenAI-compatible server (OpenAI, OpenRouter, Ollama, LM Studio, vLLM, llama.cpp).
    Openai,
    /// Google Gemini (native API).
    Gemini,
}

/// The main command's flags (the old tool's names, so existing scripts keep working).
#[derive(Debug, Default, ClapArgs)]
pub struct RunArgs {
    /// The book to process. Default: the first book in the current folder without a finished
    /// output folder.
    #[arg(short, long, value_name = "BOOK")]
    pub file: Option<PathBuf>,

    /// Analyse only: cast (Elements.md) and scenes (Chapters.md), no images.
    #[arg(long)]
    pub text: bool,
    /// Extract the cast only (pass 1 → Elements.md).
    #[arg(long)]
    pub elements: bool,
    /// Illustrate only: draw the scenes of chapters that are (or become) analyzed.
    #[arg(long)]
    pub images: bool,

    /// Run analysis and illustration at the same time (the default).
    #[arg(long, conflicts_with = "sequential")]
    pub concurrent: bool,
    /// Run all analysis first, then all illustration.
    #[arg(long)]
    pub sequential: bool,

    /// Continue an earlier run (always implied; accepted for old scripts).
    #[arg(long = "continue")]
    pub continue_run: bool,
    /// Redo the selected chapters; replaced images are kept in images/.replaced/.
    #[arg(long)]
    pub force: bool,
    /// Only these chapters, e.g. "1-5,10".
    #[arg(long, value_name = "RANGE")]
    pub chapters: Option<String>,
    /// With --chapters, which chapters pass 1 reads for the cast: all of the book's (the
    /// default) or only the selected ones, for a quick trial. A selected-only cast is marked
    /// partial in Elements.md; a later run without it completes the cast without reading the
    /// selected chapters again.
    #[arg(long, value_enum, value_name = "FROM", default_value = "all")]
    pub cast: CastArg,
    /// At most this many scenes per chapter.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Where outputs go (default: ./imaginize_<book name>).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Provider: builtin (offline), openai (any compatible server) or gemini.
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// Base URL of the text API, e.g. http://localhost:11434/v1.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Text model name.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Image model name.
    #[arg(long, value_name = "NAME")]
    pub image_model: Option<String>,
    /// API key of the text provider (prefer the environment: it stays out of shell history).
    #[arg(long, value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// API key of the image endpoint, when it differs from the text one.
    #[arg(long, value_name = "KEY", hide_env_values = true)]
    pub image_key: Option<String>,
    /// Text requests in flight at once.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Image requests in flight at once (each is one illustrator).
    #[arg(long, value_name = "N")]
    pub image_jobs: Option<usize>,

    /// Print calls, tokens, images, cost and projected time, without calling anything.
    #[arg(long)]
    pub estimate: bool,
    /// Keep going when a chapter fails (the default for analysis).
    #[arg(long)]
    pub skip_failed: bool,
    /// Retry only the chapters that failed.
    #[arg(long)]
    pub retry_failed: bool,
    /// Reset failed chapters so the next run retries them.
    #[arg(long)]
    pub clear_errors: bool,
    /// Leave chapters that another live imaginize holds to it instead of waiting for them; the
    /// run then exits with 5 when any are left (config `waitForOthers: false`).
    #[arg(long)]
    pub no_wait: bool,
    /// Keep the book's state (claims, statuses, usage) in PostgreSQL instead of the output
    /// folder's manifest, so workers on several machines share it: a `postgres://` URL
    /// (`?sslmode=require` for TLS). The output folder still holds the files. Env
    /// IMAGINIZE_STORE, config `store`.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// The book belongs to the series in DIR (`imaginize series init`): it starts from the
    /// series' cast, cards and style, and adds its own cast to it. Config `series`.
    #[arg(long, value_name = "DIR")]
    pub series: Option<PathBuf>,
    /// Keep the book's files (pass-1 answers, chapter scenes, images, the cast) in object
    /// storage instead of the output folder: `file:///shared/books` or `s3://bucket/prefix`
    /// (endpoint and credentials from the usual AWS_* variables). The output folder stays the
    /// local working place. Env IMAGINIZE_ARTIFACTS, config `artifacts`.
    #[arg(long, value_name = "URL")]
    pub artifacts: Option<String>,
    /// Convert an old tool's .imaginize.state.json into the manifest (in --output-dir or here).
    #[arg(long)]
    pub migrate_concurrent: bool,
    /// Write a commented sample .imaginize.config in the current folder.
    #[arg(long)]
    pub init_config: bool,
    /// After illustrating, also build these outputs (as `imaginize compile` does).
    #[command(flatten)]
    pub compile: FormatArgs,
    /// Serve the live dashboard of this run's output folder while it runs (as `imaginize
    /// serve`; it stops with the run).
    #[arg(long, visible_alias = "dashboard")]
    pub serve: bool,
    /// The dashboard's port (default 8080; 0 picks a free one).
    #[arg(long, visible_alias = "dashboard-port", value_name = "PORT")]
    pub serve_port: Option<u16>,
    /// The dashboard's address (default 127.0.0.1; any other needs a token, printed once).
    #[arg(long, visible_alias = "dashboard-host", value_name = "HOST")]
    pub serve_host: Option<String>,
}
