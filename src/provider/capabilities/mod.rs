//! What each image model can take besides its prompt: reference pictures (how they are sent and
//! how many) and a seed. One table, looked up by model name; the user's `imageReferences`
//! config overrides it (docs/consistency.md, "Reference images, per provider").

pub mod wire;

use super::{Endpoint, ProviderKind};
use serde::Deserialize;

/// How an image model is given reference pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceVia {
    /// The model takes none: prompts carry the appearance cards only.
    None,
    /// OpenAI's `POST /images/edits`, multipart, one `image[]` part per picture.
    OpenaiEdits,
    /// Gemini's `generateContent`, one `inline_data` part per picture before the text.
    GeminiInline,
    /// Chat completions with `image_url` content parts (data URLs) and
    /// `modalities: ["image","text"]`, as OpenRouter serves image models.
    OpenrouterChat,
}

/// What one image model accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capability {
    pub via: ReferenceVia,
    /// The most reference pictures one request may carry (0 with `ReferenceVia::None`).
    pub max_references: usize,
    /// Whether the edit request takes `input_fidelity` (OpenAI: keeps faces closer).
    pub input_fidelity: bool,
    /// Whether the API takes a seed, so a book can keep one for all its pictures.
    pub seed: bool,
}

impl Capability {
    /// Neither references nor a seed: DALL·E 3, unknown local models.
    pub const NONE: Capability = Capability {
        via: ReferenceVia::None,
        max_references: 0,
        input_fidelity: false,
        seed: false,
    };

    /// The references a request may carry: none when the model takes none.
    pub fn max(&self) -> usize {
        if self.via == ReferenceVia::None {
            0
        } else {
            self.max_references
        }
    }
}

/// `imageReferences` in config: a number (the maximum; 0 turns references off) or a map of
/// the fields to change. Unset fields keep the table's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "OverrideForm")]
pub struct Override {
    pub max: Option<usize>,
    pub via: Option<ReferenceVia>,
    pub input_fidelity: Option<bool>,
    pub seed: Option<bool>,
}

/// The two ways `imageReferences` may be written.
#[derive(Deserialize)]
#[serde(untagged)]
enum OverrideForm {
    Max(usize),
    Fields(OverrideFields),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OverrideFields {
    max: Option<usize>,
    via: Option<ReferenceVia>,
    input_fidelity: Option<bool>,
    seed: Option<bool>,
}

impl From<OverrideForm> for Override {
    fn from(form: OverrideForm) -> Override {
        match form {
            OverrideForm::Max(max) => Override {
                max: Some(max),
                ..Override::default()
            },
            OverrideForm::Fields(f) => Override {
                max: f.max,
                via: f.via,
                input_fidelity: f.input_fidelity,
                seed: f.seed,
            },
        }
    }
}

impl Override {
    /// `self` with every field `higher` sets replaced by it (config layers).
    pub fn overlay(self, higher: Override) -> Override {
        Override {
            max: higher.max.or(self.max),
            via: higher.via.or(self.via),
            input_fidelity: higher.input_fidelity.or(self.input_fidelity),
            seed: higher.seed.or(self.seed),
        }
    }

    /// `table` with the configured fields over it. A maximum above zero on a model the table
    /// knows no way to send to keeps `None` unless `via` is set too: there is nothing to send with.
    pub fn apply(&self, table: Capability) -> Capability {
        Capability {
            via: self.via.unwrap_or(table.via),
            max_references: self.max.unwrap_or(table.max_references),
            input_fidelity: self.input_fidelity.unwrap_or(table.input_fidelity),
            seed: self.seed.unwrap_or(table.seed),
        }
    }
}

/// OpenAI's documented maximum for the GPT image models' edit endpoint.
pub const OPENAI_EDIT_MAX: usize = 16;
/// Google's "for best results" maxima: Gemini 2.5 Flash Image 3, Gemini 3 Pro Image 14.
const GEMINI_FLASH_MAX: usize = 3;
const GEMINI_3_MAX: usize = 14;

/// The capability of `endpoint.model` as served by a provider of `kind`, before overrides.
pub fn lookup(kind: ProviderKind, endpoint: &Endpoint) -> Capability {
    let model = endpoint.model.to_ascii_lowercase();
    match kind {
        ProviderKind::Builtin => Capability::NONE,
        ProviderKind::Gemini => gemini(&model),
        ProviderKind::OpenAi if super::openai::uses_chat_images(endpoint) => chat(&model),
        ProviderKind::OpenAi => images_api(&model),
    }
}

/// Google's own API: every model takes `generationConfig.seed`.
fn gemini(model: &str) -> Capability {
    let max = gemini_max(model);
    Capability {
        via: if max > 0 {
            ReferenceVia::GeminiInline
        } else {
            ReferenceVia::None
        },
        max_references: max,
        input_fidelity: false,
        seed: true,
    }
}

/// Reference pictures a Gemini image model takes (0: not an image model we know).
fn gemini_max(model: &str) -> usize {
    let name = model.rsplit('/').next().unwrap_or(model);
    if !name.contains("image") || !name.starts_with("gemini") {
        0
    } else if name.starts_with("gemini-3") {
        GEMINI_3_MAX
    } else {
        GEMINI_FLASH_MAX
    }
}

/// Chat completions (OpenRouter, or a gateway serving a Gemini image model): the Gemini image
/// models' maxima; others are not known to take pictures. Chat completions takes `seed`.
fn chat(model: &str) -> Capability {
    let max = gemini_max(model);
    Capability {
        via: if max > 0 {
            ReferenceVia::OpenrouterChat
        } else {
            ReferenceVia::None
        },
        max_references: max,
        input_fidelity: false,
        seed: true,
    }
}

/// OpenAI's images API: the GPT image models edit with up to 16 pictures; `input_fidelity`
/// is documented for gpt-image-1 and gpt-image-1.5, not for the mini. No seed parameter.
fn images_api(model: &str) -> Capability {
    let gpt_image = model.starts_with("gpt-image") || model.starts_with("chatgpt-image");
    if !gpt_image {
        // DALL·E 2's edit endpoint repaints one picture under a mask: not a reference.
        return Capability::NONE;
    }
    let fidelity = !model.contains("mini")
        && (model == "gpt-image-1"
            || model.starts_with("gpt-image-1-")
            || model.starts_with("gpt-image-1.5"));
    Capability {
        via: ReferenceVia::OpenaiEdits,
        max_references: OPENAI_EDIT_MAX,
        input_fidelity: fidelity,
        seed: false,
    }
}

/// A seed for every picture of one book, from what names it (its id or title): the same book
/// always gets the same seed. FNV-1a, so it never changes between builds or platforms.
/// Kept below 2^31: Gemini's seed is an int32.
pub fn book_seed(name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.trim().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash & 0x7fff_ffff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: &str, model: &str) -> Endpoint {
        Endpoint {
            base_url: base.to_string(),
            api_key: None,
            model: model.to_string(),
        }
    }

    fn openai(model: &str) -> Capability {
        lookup(
            ProviderKind::OpenAi,
            &at("https://api.openai.com/v1", model),
        )
    }

    #[test]
    fn gpt_image_models_edit_with_sixteen_and_dalle_takes_none() {
        let one = openai("gpt-image-1");
        assert_eq!((one.via, one.max()), (ReferenceVia::OpenaiEdits, 16));
        assert!(one.input_fidelity && !one.seed);
        assert!(openai("gpt-image-1.5").input_fidelity);
        let mini = openai("gpt-image-1-mini");
        assert_eq!((mini.via, mini.max()), (ReferenceVia::OpenaiEdits, 16));
        assert!(!mini.input_fidelity);
        for none in [
            "dall-e-3",
            "dall-e-2",
            "stable-diffusion-xl",
            "flux-schnell",
        ] {
            assert_eq!(openai(none), Capability::NONE, "{none}");
        }
    }

    #[test]
    fn gemini_models_have_their_own_maxima() {
        let g = |model: &str| lookup(ProviderKind::Gemini, &at("https://g", model));
        let flash = g("gemini-2.5-flash-image");
        assert_eq!((flash.via, flash.max()), (ReferenceVia::GeminiInline, 3));
        assert!(flash.seed);
        assert_eq!(g("gemini-3-pro-image-preview").max(), 14);
        assert_eq!(g("gemini-2.5-flash").max(), 0);
    }

    #[test]
    fn openrouter_models_go_through_chat() {
        let r = |model: &str| {
            lookup(
                ProviderKind::OpenAi,
                &at("https://openrouter.ai/api/v1", model),
            )
        };
        let flash = r("google/gemini-2.5-flash-image-preview");
        assert_eq!((flash.via, flash.max()), (ReferenceVia::OpenrouterChat, 3));
        assert_eq!(r("google/gemini-3-pro-image-preview").max(), 14);
        assert_eq!(r("some/unknown-image-model").max(), 0);
    }

    #[test]
    fn overrides_replace_only_what_they_set() {
        let off = Override {
            max: Some(0),
            ..Override::default()
        };
        assert_eq!(off.apply(openai("gpt-image-1")).max(), 0);
        let local = Override {
            max: Some(4),
            via: Some(ReferenceVia::OpenaiEdits),
            ..Override::default()
        };
        let capability = local.apply(openai("my-local-model"));
        assert_eq!(
            (capability.via, capability.max()),
            (ReferenceVia::OpenaiEdits, 4)
        );
        let no_via = Override {
            max: Some(4),
            ..Override::default()
        };
        assert_eq!(no_via.apply(openai("dall-e-3")).max(), 0);
    }

    #[test]
    fn overrides_read_a_number_or_a_map() {
        let number: Result<Override, _> = serde_json::from_str("2");
        assert_eq!(number.ok().and_then(|o| o.max), Some(2));
        let map: Result<Override, _> =
            serde_json::from_str(r#"{"via": "openai-edits", "max": 4, "seed": true}"#);
        let map = map.unwrap_or_default();
        assert_eq!(map.via, Some(ReferenceVia::OpenaiEdits));
        assert_eq!((map.max, map.seed), (Some(4), Some(true)));
        let typo: Result<Override, _> = serde_json::from_str(r#"{"maximum": 4}"#);
        assert!(typo.is_err());
        let layered = map.overlay(Override {
            max: Some(1),
            ..Override::default()
        });
        assert_eq!((layered.max, layered.seed), (Some(1), Some(true)));
    }

    #[test]
    fn book_seed_is_stable_and_fits_an_int32() {
        assert_eq!(
            book_seed("Pride and Prejudice"),
            book_seed(" Pride and Prejudice ")
        );
        assert_ne!(book_seed("Pride and Prejudice"), book_seed("Emma"));
        assert!(book_seed("anything at all") < 1 << 31);
        // Fixed forever: a changed seed would redraw every book differently.
        assert_eq!(book_seed(""), 0xcbf2_9ce4_8422_2325 & 0x7fff_ffff);
    }
}
