//! `--estimate`: calls, tokens, images, cost and projected wall time for a book, computed from
//! the chapter texts and the configured limits alone; never touches the network.
//!
//! Input tokens are counted with tiktoken-rs (its BPE tables are compiled in, nothing is
//! downloaded) for OpenAI-family models: o200k for gpt-4o / gpt-4.1 / gpt-5 / o-series, cl100k for
//! gpt-4 / gpt-3.5. Other models use characters / 4 (OpenAI's rule of thumb for English text).
//! A fixed prompt overhead is added per call.

use super::prices::PriceTable;
use std::fmt;
use std::time::Duration;

/// Assumed latencies of one call, typical of hosted models (the estimate's, and the dashboard's
/// rates before any call was seen).
pub const TEXT_LATENCY: Duration = Duration::from_secs(8);
pub const IMAGE_LATENCY: Duration = Duration::from_secs(15);

/// Tokens of system prompt and instructions added to every text call.
const PROMPT_OVERHEAD_TOKENS: u64 = 400;
/// Expected answer size: pass 1 per chapter, pass 2 per scene.
const ENTITY_OUTPUT_TOKENS: u64 = 900;
const SCENE_OUTPUT_TOKENS: u64 = 250;
/// The style request reads this much of the opening chapters and answers briefly.
const STYLE_INPUT_TOKENS: u64 = 6_000;
const STYLE_OUTPUT_TOKENS: u64 = 150;
/// Per element of an appearance-card request: its description and quotes in, its card out.
const CARD_INPUT_TOKENS: u64 = 200;
const CARD_OUTPUT_TOKENS: u64 = 120;

/// Everything the estimate needs.
#[derive(Debug, Clone)]
pub struct EstimateInput {
    /// The texts of the story chapters.
    pub chapters: Vec<String>,
    pub scenes_per_chapter: usize,
    /// 1 when the style guide will be asked of the model (none is set), else 0.
    pub style_calls: u64,
    /// Elements expected to get an appearance card, and how many one request covers.
    pub cards: u64,
    pub cards_per_request: u64,
    /// Reference portraits to draw (images before the scenes', `images/cast/`).
    pub portraits: u64,
    pub text_model: String,
    pub image_model: String,
    pub prices: PriceTable,
    pub jobs: usize,
    pub image_jobs: usize,
    /// Assumed latency of one text call and one image call.
    pub text_latency: Duration,
    pub image_latency: Duration,
}

/// The figures `--estimate` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub chapters: usize,
    /// Every text call: pass 1, pass 2, the style guide and the appearance cards.
    pub text_calls: u64,
    pub style_calls: u64,
    pub card_calls: u64,
    pub cards: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub images: u64,
    /// Of `images`, the reference portraits.
    pub portraits: u64,
    pub tokenizer: Tokenizer,
    /// None when a model's price is unknown.
    pub cost_usd: Option<f64>,
    pub sequential: Duration,
    pub concurrent: Duration,
}

/// Character-based token approximation (see the module doc).
pub fn approx_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// How tokens are counted for a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokenizer {
    O200k,
    Cl100k,
    /// characters / 4
    Approx,
}

impl Tokenizer {
    /// The tokenizer of `model` (a vendor prefix such as `openai/` is ignored).
    pub fn for_model(model: &str) -> Tokenizer {
        let bare = model.rsplit('/').next().unwrap_or(model);
        let o200k = [
            "gpt-4o",
            "gpt-4.1",
            "gpt-4.5",
            "gpt-5",
            "o1",
            "o3",
            "o4",
            "chatgpt-4o",
        ];
        if o200k.iter().any(|p| bare.starts_with(p)) {
            Tokenizer::O200k
        } else if bare.starts_with("gpt-4") || bare.starts_with("gpt-3.5") {
            Tokenizer::Cl100k
        } else {
            Tokenizer::Approx
        }
    }

    pub fn count(self, text: &str) -> u64 {
        match self {
            Tokenizer::O200k => tiktoken_rs::o200k_base_singleton()
                .encode_ordinary(text)
                .len() as u64,
            Tokenizer::Cl100k => tiktoken_rs::cl100k_base_singleton()
                .encode_ordinary(text)
                .len() as u64,
            Tokenizer::Approx => approx_tokens(text),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tokenizer::O200k => "tiktoken o200k",
            Tokenizer::Cl100k => "tiktoken cl100k",
            Tokenizer::Approx => "≈ chars/4",
        }
    }
}

/// Computes the estimate; pure.
pub fn estimate(input: &EstimateInput) -> Estimate {
    let chapters = input.chapters.len();
    let scenes = input.scenes_per_chapter as u64;
    let tokenizer = Tokenizer::for_model(&input.text_model);
    let chapter_tokens: u64 = input.chapters.iter().map(|c| tokenizer.count(c)).sum();
    // Pass 1 reads each chapter once; pass 2 reads it again with the element list; between them
    // the style guide (unless set) and the appearance cards, a batch of elements per call.
    let card_calls = input.cards.div_ceil(input.cards_per_request.max(1));
    let looks_calls = input.style_calls + card_calls;
    let text_calls = 2 * chapters as u64 + looks_calls;
    let input_tokens = 2 * chapter_tokens
        + text_calls * PROMPT_OVERHEAD_TOKENS
        + input.style_calls * STYLE_INPUT_TOKENS.min(chapter_tokens)
        + input.cards * CARD_INPUT_TOKENS;
    let images = scenes * chapters as u64 + input.portraits;
    let output_tokens = chapters as u64 * (ENTITY_OUTPUT_TOKENS + scenes * SCENE_OUTPUT_TOKENS)
        + input.style_calls * STYLE_OUTPUT_TOKENS
        + input.cards * CARD_OUTPUT_TOKENS;
    let text_price = input.prices.get(&input.text_model);
    let image_price = input.prices.get(&input.image_model);
    let cost_usd = match (text_price, image_price) {
        (Some(t), Some(i)) => Some(
            input_tokens as f64 / 1e6 * t.input_per_mtok
                + output_tokens as f64 / 1e6 * t.output_per_mtok
                + images as f64 * i.per_image,
        ),
        _ => None,
    };
    let waves = |calls: u64, jobs: usize| calls.div_ceil(jobs.max(1) as u64) as u32;
    let sequential = input.text_latency * text_calls as u32 + input.image_latency * images as u32;
    // The style and the cards are asked together, one round after pass 1.
    let passes = 2 * chapters as u64;
    let looks_round = if looks_calls == 0 {
        0
    } else {
        waves(looks_calls, input.jobs).max(1)
    };
    let concurrent = input.text_latency * (waves(passes, input.jobs) + looks_round)
        + input.image_latency * waves(images, input.image_jobs);
    Estimate {
        chapters,
        text_calls,
        style_calls: input.style_calls,
        card_calls,
        cards: input.cards,
        input_tokens,
        output_tokens,
        images,
        portraits: input.portraits,
        tokenizer,
        cost_usd,
        sequential,
        concurrent,
    }
}

fn hms(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60)
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cost = match self.cost_usd {
            Some(c) => format!("${c:.2}"),
            None => "price unknown".to_string(),
        };
        writeln!(f, "{:<28}{:>16}", "chapters", self.chapters)?;
        writeln!(f, "{:<28}{:>16}", "text calls (all)", self.text_calls)?;
        writeln!(f, "{:<28}{:>16}", "  style guide", self.style_calls)?;
        let cards = format!("  appearance cards ({})", self.cards);
        writeln!(f, "{cards:<28}{:>16}", self.card_calls)?;
        let label = format!("input tokens ({})", self.tokenizer.label());
        writeln!(f, "{label:<28}{:>16}", self.input_tokens)?;
        writeln!(
            f,
            "{:<28}{:>16}",
            "expected output tokens", self.output_tokens
        )?;
        writeln!(f, "{:<28}{:>16}", "images", self.images)?;
        writeln!(f, "{:<28}{:>16}", "  reference portraits", self.portraits)?;
        writeln!(f, "{:<28}{:>16}", "cost", cost)?;
        writeln!(f, "{:<28}{:>16}", "time, sequential", hms(self.sequential))?;
        write!(f, "{:<28}{:>16}", "time, concurrent", hms(self.concurrent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text_model: &str) -> EstimateInput {
        EstimateInput {
            chapters: vec!["a ".repeat(2000), "b ".repeat(1000)],
            scenes_per_chapter: 3,
            style_calls: 0,
            cards: 0,
            cards_per_request: 8,
            portraits: 0,
            text_model: text_model.to_string(),
            image_model: "dall-e-3".to_string(),
            prices: PriceTable::defaults(),
            jobs: 2,
            image_jobs: 3,
            text_latency: Duration::from_secs(10),
            image_latency: Duration::from_secs(20),
        }
    }

    #[test]
    fn counts_calls_tokens_images_and_time() {
        let e = estimate(&input("my-local-llama"));
        assert_eq!((e.chapters, e.text_calls, e.images), (2, 4, 6));
        assert_eq!(e.input_tokens, 2 * 1500 + 4 * PROMPT_OVERHEAD_TOKENS);
        assert_eq!(e.sequential, Duration::from_secs(4 * 10 + 6 * 20));
        assert_eq!(e.concurrent, Duration::from_secs(2 * 10 + 2 * 20));
    }

    #[test]
    fn the_style_and_the_cards_are_counted_as_one_more_round() {
        let with_looks = EstimateInput {
            style_calls: 1,
            cards: 20,
            ..input("my-local-llama")
        };
        let e = estimate(&with_looks);
        // 20 cards at 8 a call: 3 calls, plus the style: 4 more than pass 1 and 2.
        assert_eq!((e.text_calls, e.card_calls, e.style_calls), (8, 3, 1));
        // 4 calls on 2 jobs: two more rounds of text latency.
        assert_eq!(e.concurrent, Duration::from_secs(4 * 10 + 2 * 20));
        let shown = e.to_string();
        assert!(shown.contains("appearance cards (20)"), "{shown}");
        assert!(shown.contains("style guide"), "{shown}");
    }

    #[test]
    fn portraits_are_images_drawn_before_the_scenes() {
        let with_portraits = EstimateInput {
            portraits: 6,
            ..input("my-local-llama")
        };
        let e = estimate(&with_portraits);
        assert_eq!((e.images, e.portraits), (12, 6));
        // 12 images on 3 image jobs: four rounds of image latency.
        assert_eq!(e.concurrent, Duration::from_secs(2 * 10 + 4 * 20));
        assert!(e.to_string().contains("reference portraits"), "{e}");
    }

    #[test]
    fn openai_models_use_tiktoken_and_known_prices() {
        assert_eq!(Tokenizer::for_model("openai/gpt-4o-mini"), Tokenizer::O200k);
        assert_eq!(Tokenizer::for_model("gpt-4-turbo"), Tokenizer::Cl100k);
        assert_eq!(Tokenizer::for_model("llama3"), Tokenizer::Approx);
        let text = "It is a truth universally acknowledged, that a single man in possession";
        // A real BPE count differs from chars/4 for ordinary English.
        let real = Tokenizer::O200k.count(text);
        assert!(real > 5 && real != approx_tokens(text), "{real}");
        let e = estimate(&input("gpt-4o-mini"));
        assert_eq!(e.tokenizer, Tokenizer::O200k);
        let cost = e.cost_usd.unwrap_or_default();
        assert!(cost > 6.0 * 0.04 && cost < 6.0 * 0.04 + 0.01, "{cost}");
        let shown = e.to_string();
        assert!(shown.contains('$') && shown.contains("tiktoken"), "{shown}");
    }

    #[test]
    fn unknown_model_shows_price_unknown() {
        let e = estimate(&input("my-local-llama"));
        assert_eq!(e.cost_usd, None);
        assert!(e.to_string().contains("price unknown"));
    }
}
