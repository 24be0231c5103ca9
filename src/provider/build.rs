//! `build`: turns `Settings` into the text and image models the pipeline calls, each wrapped in
//! the one retry layer with its own concurrency and rpm limits.

use super::gemini::{GeminiImage, GeminiText};
use super::limits::Limits;
use super::openai::{OpenAiImage, OpenAiText};
use super::retry::{RetryPolicy, RetryingImage, RetryingText};
use super::{Endpoint, Error, ImageModel, ProviderKind, Settings, TextModel};
use std::sync::Arc;

/// The unwrapped text and image model.
type Pair = (Arc<dyn TextModel>, Arc<dyn ImageModel>);

/// The models a run uses.
#[derive(Clone)]
pub struct Models {
    pub text: Arc<dyn TextModel>,
    pub image: Arc<dyn ImageModel>,
}

/// Builds the models with the retry policy the settings describe.
pub fn build(settings: &Settings) -> Result<Models, Error> {
    build_with_policy(settings, RetryPolicy::from_settings(settings))
}

/// Like `build`, with an explicit retry policy (tests use millisecond backoffs).
pub fn build_with_policy(settings: &Settings, policy: RetryPolicy) -> Result<Models, Error> {
    let (text, image) = match settings.kind {
        ProviderKind::Builtin => builtin_models()?,
        ProviderKind::OpenAi => {
            let client = super::http::client(settings.request_timeout_secs)?;
            check_endpoint(&settings.text, "openai")?;
            check_endpoint(&settings.image, "openai")?;
            let text: Arc<dyn TextModel> = Arc::new(OpenAiText {
                client: client.clone(),
                endpoint: settings.text.clone(),
            });
            let image: Arc<dyn ImageModel> = Arc::new(OpenAiImage::new(
                client,
                settings.image.clone(),
                capability(settings),
            ));
            (text, image)
        }
        ProviderKind::Gemini => {
            let client = super::http::client(settings.request_timeout_secs)?;
            check_endpoint(&settings.text, "gemini")?;
            check_endpoint(&settings.image, "gemini")?;
            let text: Arc<dyn TextModel> = Arc::new(GeminiText {
                client: client.clone(),
                endpoint: settings.text.clone(),
            });
            let image: Arc<dyn ImageModel> = Arc::new(GeminiImage {
                client,
                endpoint: settings.image.clone(),
                capability: capability(settings),
            });
            (text, image)
        }
    };
    Ok(Models {
        text: Arc::new(RetryingText {
            inner: text,
            policy,
            limits: Limits::new(settings.jobs, settings.rpm),
        }),
        image: Arc::new(RetryingImage {
            inner: image,
            policy,
            limits: Limits::new(settings.image_jobs, settings.image_rpm),
        }),
    })
}

/// The image model's row of the capability table with the config's `imageReferences` over it.
fn capability(settings: &Settings) -> super::Capability {
    let table = super::capabilities::lookup(settings.kind, &settings.image);
    settings.image_capability.apply(table)
}

/// The offline provider: one instance serves both roles.
fn builtin_models() -> Result<Pair, Error> {
    let builtin = Arc::new(super::builtin::Builtin::new());
    Ok((builtin.clone(), builtin))
}

/// A URL and a model are needed to build a model; a key only to call it, which configuration
/// checks for the runs that make calls (an estimate or a dry run builds without one).
fn check_endpoint(endpoint: &Endpoint, provider: &str) -> Result<(), Error> {
    if !(endpoint.base_url.starts_with("http://") || endpoint.base_url.starts_with("https://")) {
        return Err(Error::Config(format!(
            "{provider} base URL `{}` is not an http(s) URL; fix `baseUrl` / `--base-url`",
            endpoint.base_url
        )));
    }
    if endpoint.model.trim().is_empty() {
        return Err(Error::Config(format!(
            "no {provider} model configured; set `model` / `--model`"
        )));
    }
    Ok(())
}
