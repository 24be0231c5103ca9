//! Chooses the provider and its endpoints: `--provider`, else config `provider`, else a
//! configured key, else the providers' own environment keys, else the offline builtin.

use super::{Environment, Error, Layer};
use crate::cli::{ProviderArg, RunArgs};
use crate::provider::{Endpoint, ProviderKind, Settings};
use crate::secret::Secret;

const OPENAI_BASE: &str = "https://api.openai.com/v1";
const OPENROUTER_BASE: &str = "https://openrouter.ai/api/v1";
const GEMINI_BASE: &str = "https://generativelanguage.googleapis.com/v1beta";

/// The provider settings and any notice about how they were chosen.
pub fn settings(
    layer: &Layer,
    args: &RunArgs,
    env: &Environment,
) -> Result<(Settings, Vec<String>), Error> {
    let kind = choose_kind(layer, args, env)?;
    let mut notices = Vec::new();
    let text = match kind {
        ProviderKind::Builtin => {
            if args.provider.is_none() && layer.provider.is_none() {
                notices.push(
                    "no API key found: using the offline builtin provider; set OPENAI_API_KEY, \
                     OPENROUTER_API_KEY or GEMINI_API_KEY (or pass --provider and --api-key) to use a real model"
                        .to_string(),
                );
            }
            Endpoint {
                base_url: String::new(),
                api_key: None,
                model: "builtin".to_string(),
            }
        }
        ProviderKind::OpenAi => openai_endpoint(layer, env),
        ProviderKind::Gemini => gemini_endpoint(layer, env),
    };
    // An estimate (and a dry run) makes no call, so it needs no key.
    if !args.estimate {
        require_key(kind, &text)?;
    }
    let image = image_endpoint(kind, layer, args, &text);
    let settings = Settings {
        kind,
        text,
        image,
        jobs: layer.jobs.or(layer.max_concurrency).unwrap_or(4).max(1),
        image_jobs: layer.image_jobs.unwrap_or(2).max(1),
        rpm: layer.rpm,
        image_rpm: layer.image_rpm,
        max_retries: layer.max_retries.unwrap_or(5),
        max_retry_secs: layer.max_retry_secs.unwrap_or(600),
        request_timeout_secs: layer.request_timeout_secs.unwrap_or(180).max(1),
        image_capability: layer.image_references.unwrap_or_default(),
    };
    Ok((settings, notices))
}

fn choose_kind(layer: &Layer, args: &RunArgs, env: &Environment) -> Result<ProviderKind, Error> {
    if let Some(arg) = args.provider {
        return Ok(match arg {
            ProviderArg::Builtin => ProviderKind::Builtin,
            ProviderArg::Openai => ProviderKind::OpenAi,
            ProviderArg::Gemini => ProviderKind::Gemini,
        });
    }
    if let Some(name) = &layer.provider {
        return match name.trim().to_ascii_lowercase().as_str() {
            "builtin" => Ok(ProviderKind::Builtin),
            "openai" | "openrouter" | "ollama" => Ok(ProviderKind::OpenAi),
            "gemini" | "google" => Ok(ProviderKind::Gemini),
            _ => Err(Error::UnknownProvider(name.clone())),
        };
    }
    if layer.api_key.is_some() || layer.base_url.is_some() {
        return Ok(ProviderKind::OpenAi);
    }
    if env.var("OPENAI_API_KEY").is_some() || env.var("OPENROUTER_API_KEY").is_some() {
        return Ok(ProviderKind::OpenAi);
    }
    if env.var("GEMINI_API_KEY").is_some() || env.var("GOOGLE_API_KEY").is_some() {
        return Ok(ProviderKind::Gemini);
    }
    Ok(ProviderKind::Builtin)
}

fn openai_endpoint(layer: &Layer, env: &Environment) -> Endpoint {
    let openrouter_key = env.var("OPENROUTER_API_KEY");
    let key = layer
        .api_key
        .clone()
        .or_else(|| env.var("OPENAI_API_KEY"))
        .or_else(|| openrouter_key.clone());
    let via_openrouter =
        layer.api_key.is_none() && env.var("OPENAI_API_KEY").is_none() && openrouter_key.is_some();
    let base = layer
        .base_url
        .clone()
        .or_else(|| env.var("OPENAI_BASE_URL"))
        .unwrap_or_else(|| {
            if via_openrouter {
                OPENROUTER_BASE.to_string()
            } else {
                OPENAI_BASE.to_string()
            }
        });
    let default_model = if base.contains("openrouter.ai") {
        "openai/gpt-4o-mini"
    } else {
        "gpt-4o-mini"
    };
    Endpoint {
        base_url: base.trim_end_matches('/').to_string(),
        api_key: key.map(Secret::new),
        model: layer
            .model
            .clone()
            .unwrap_or_else(|| default_model.to_string()),
    }
}

fn gemini_endpoint(layer: &Layer, env: &Environment) -> Endpoint {
    let key = layer
        .api_key
        .clone()
        .or_else(|| env.var("GEMINI_API_KEY"))
        .or_else(|| env.var("GOOGLE_API_KEY"));
    Endpoint {
        base_url: layer
            .base_url
            .clone()
            .unwrap_or_else(|| GEMINI_BASE.to_string())
            .trim_end_matches('/')
            .to_string(),
        api_key: key.map(Secret::new),
        model: layer
            .model
            .clone()
            .unwrap_or_else(|| "gemini-2.5-flash".to_string()),
    }
}

fn image_endpoint(kind: ProviderKind, layer: &Layer, args: &RunArgs, text: &Endpoint) -> Endpoint {
    let configured = layer.image_endpoint.clone().unwrap_or_default();
    let default_model = match kind {
        ProviderKind::Builtin => "builtin",
        ProviderKind::Gemini => "gemini-2.5-flash-image",
        ProviderKind::OpenAi if text.base_url.contains("openrouter.ai") => {
            "google/gemini-2.5-flash-image"
        }
        ProviderKind::OpenAi => "gpt-image-1",
    };
    let model = args
        .image_model
        .clone()
        .or(configured.model)
        .or_else(|| layer.image_model.clone())
        .unwrap_or_else(|| default_model.to_string());
    Endpoint {
        base_url: configured
            .base_url
            .map(|url| url.trim_end_matches('/').to_string())
            .unwrap_or_else(|| text.base_url.clone()),
        api_key: args
            .image_key
            .clone()
            .or(configured.api_key)
            .map(Secret::new)
            .or_else(|| text.api_key.clone()),
        model,
    }
}

fn require_key(kind: ProviderKind, text: &Endpoint) -> Result<(), Error> {
    let hosted =
        text.base_url.contains("api.openai.com") || text.base_url.contains("openrouter.ai");
    let needs_key = match kind {
        ProviderKind::Builtin => false,
        ProviderKind::OpenAi => hosted,
        ProviderKind::Gemini => true,
    };
    if needs_key && text.api_key.is_none() {
        let variable = match kind {
            ProviderKind::Gemini => "GEMINI_API_KEY",
            _ if text.base_url.contains("openrouter.ai") => "OPENROUTER_API_KEY",
            _ => "OPENAI_API_KEY",
        };
        return Err(Error::Invalid(format!(
            "{} needs an API key; set {variable}, `apiKey` in .imaginize.config, or pass --api-key \
             (or use --provider builtin to run offline)",
            text.base_url
        )));
    }
    Ok(())
}
