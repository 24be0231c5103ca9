//! One configuration layer as read from `.imaginize.config` (YAML or JSON) or from the
//! environment: every key optional, merged by `overlay`. Parsing works on text so it is tested
//! without files; unknown keys come back as warnings, never silently ignored.

use super::Error;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// `imageEndpoint`: a separate server, key or model for images.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageEndpointLayer {
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub model: Option<String>,
}

/// Every key a config file may hold. The old tool's keys are kept as they were.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    pub provider: Option<String>,
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub model: Option<String>,
    pub image_model: Option<String>,
    pub image_endpoint: Option<ImageEndpointLayer>,
    pub pages_per_image: Option<f64>,
    /// The old tool's name for `jobs`.
    pub max_concurrency: Option<usize>,
    pub jobs: Option<usize>,
    pub image_jobs: Option<usize>,
    pub max_retries: Option<u32>,
    pub max_retry_secs: Option<u64>,
    pub request_timeout_secs: Option<u64>,
    pub rpm: Option<u32>,
    pub image_rpm: Option<u32>,
    pub image_size: Option<String>,
    pub image_quality: Option<String>,
    pub concurrent: Option<bool>,
    /// The spec's name for `concurrent`.
    pub experimental_concurrent: Option<bool>,
    pub output_pattern: Option<String>,
    pub output_dir: Option<String>,
    pub lease_secs: Option<u64>,
    pub poll_secs: Option<f64>,
    /// How long a write waits for the output folder's lock before giving up (exit 4).
    pub lock_timeout_secs: Option<f64>,
    /// Whether a run waits for chapters other live workers hold (default true).
    pub wait_for_others: Option<bool>,
    /// Where the book's state is kept: a PostgreSQL URL (`--store`).
    pub store: Option<String>,
    /// The series folder the book belongs to (`--series`).
    pub series: Option<String>,
    /// Where the book's files go: a `file://` or `s3://` URL (`--artifacts`).
    pub artifacts: Option<String>,
    /// Failed runs of a queued book before it is dead-lettered (`imaginize worker`).
    pub max_attempts: Option<u32>,
    pub chunk_tokens: Option<usize>,
    pub words_per_page: Option<usize>,
    /// How many of the cast's most present characters get a reference portrait (0: none).
    pub portraits: Option<usize>,
    /// The style guide: a string (the art style) or a map of its fields (`crate::style`).
    pub style: Option<crate::style::Style>,
    /// Price per million tokens / per image by model name, for `--estimate`.
    pub prices: Option<BTreeMap<String, Price>>,
    /// Reference pictures for the image model: a maximum (0: none) or a map of
    /// `max` / `via` / `inputFidelity` / `seed` over the capability table.
    pub image_references: Option<crate::provider::capabilities::Override>,
}

/// A model's price, for `--estimate`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Price {
    pub input_per_million: Option<f64>,
    pub output_per_million: Option<f64>,
    pub per_image: Option<f64>,
}

const KNOWN_KEYS: &[&str] = &[
    "provider",
    "baseUrl",
    "apiKey",
    "model",
    "imageModel",
    "imageEndpoint",
    "pagesPerImage",
    "maxConcurrency",
    "jobs",
    "imageJobs",
    "maxRetries",
    "maxRetrySecs",
    "requestTimeoutSecs",
    "rpm",
    "imageRpm",
    "imageSize",
    "imageQuality",
    "concurrent",
    "experimentalConcurrent",
    "outputPattern",
    "outputDir",
    "leaseSecs",
    "pollSecs",
    "lockTimeoutSecs",
    "waitForOthers",
    "store",
    "series",
    "artifacts",
    "maxAttempts",
    "chunkTokens",
    "wordsPerPage",
    "portraits",
    "style",
    "prices",
    "imageReferences",
];

/// A parsed config file: its values and the warnings to show (unknown keys).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub layer: Layer,
    pub warnings: Vec<String>,
}

/// Parses a config file's text. JSON when it starts with `{`, else YAML. `${VAR}` in string
/// values expands from `lookup`.
pub fn parse(
    text: &str,
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Parsed, Error> {
    let mut value = parse_value(text, path)?;
    if value.is_null() {
        return Ok(Parsed::default());
    }
    let Some(map) = value.as_object() else {
        return Err(Error::NotAMapping {
            path: path.to_path_buf(),
        });
    };
    let warnings = map
        .keys()
        .filter(|key| !KNOWN_KEYS.contains(&key.as_str()))
        .map(|key| unknown_key_warning(key, path))
        .collect();
    expand_env(&mut value, path, lookup)?;
    let layer = serde_json::from_value(value).map_err(|source| Error::BadValue {
        path: path.to_path_buf(),
        message: source.to_string(),
    })?;
    Ok(Parsed { layer, warnings })
}

fn unknown_key_warning(key: &str, path: &Path) -> String {
    let hint = KNOWN_KEYS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(key) || edit_distance(known, key) <= 2)
        .map(|known| format!(" (did you mean `{known}`?)"))
        .unwrap_or_default();
    format!(
        "unknown key `{key}` in `{}` is ignored{hint}",
        path.display()
    )
}

fn parse_value(text: &str, path: &Path) -> Result<serde_json::Value, Error> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|source| Error::Malformed {
            path: path.to_path_buf(),
            line: source.line() as u64,
            column: source.column() as u64,
            message: source.to_string(),
        });
    }
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_saphyr::from_str(text).map_err(|source| {
        let location = source.location();
        Error::Malformed {
            path: path.to_path_buf(),
            line: location.map_or(0, |l| l.line()),
            column: location.map_or(0, |l| l.column()),
            message: first_line(&source.to_string()),
        }
    })
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).to_string()
}

/// Replaces `${VAR}` in every string value; an unset variable is an error naming it.
fn expand_env(
    value: &mut serde_json::Value,
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Error> {
    match value {
        serde_json::Value::String(text) => {
            *text = expand_string(text, path, lookup)?;
        }
        serde_json::Value::Array(items) => {
            for item in items {
                expand_env(item, path, lookup)?;
            }
        }
        serde_json::Value::Object(map) => {
            for item in map.values_mut() {
                expand_env(item, path, lookup)?;
            }
        }
        _ => {}
    }
    Ok(())
}

pub(crate) fn expand_string(
    text: &str,
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = &after[..end];
        let value = lookup(name).ok_or_else(|| Error::UnsetVariable {
            path: path.to_path_buf(),
            name: name.to_string(),
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

impl Layer {
    /// `self` with every value that `higher` sets replaced by it.
    pub fn overlay(self, higher: Layer) -> Layer {
        Layer {
            provider: higher.provider.or(self.provider),
            base_url: higher.base_url.or(self.base_url),
            api_key: higher.api_key.or(self.api_key),
            model: higher.model.or(self.model),
            image_model: higher.image_model.or(self.image_model),
            image_endpoint: overlay_endpoint(self.image_endpoint, higher.image_endpoint),
            pages_per_image: higher.pages_per_image.or(self.pages_per_image),
            max_concurrency: higher.max_concurrency.or(self.max_concurrency),
            jobs: higher.jobs.or(self.jobs),
            image_jobs: higher.image_jobs.or(self.image_jobs),
            max_retries: higher.max_retries.or(self.max_retries),
            max_retry_secs: higher.max_retry_secs.or(self.max_retry_secs),
            request_timeout_secs: higher.request_timeout_secs.or(self.request_timeout_secs),
            rpm: higher.rpm.or(self.rpm),
            image_rpm: higher.image_rpm.or(self.image_rpm),
            image_size: higher.image_size.or(self.image_size),
            image_quality: higher.image_quality.or(self.image_quality),
            concurrent: higher.concurrent.or(self.concurrent),
            experimental_concurrent: higher
                .experimental_concurrent
                .or(self.experimental_concurrent),
            output_pattern: higher.output_pattern.or(self.output_pattern),
            output_dir: higher.output_dir.or(self.output_dir),
            lease_secs: higher.lease_secs.or(self.lease_secs),
            wait_for_others: higher.wait_for_others.or(self.wait_for_others),
            store: higher.store.or(self.store),
            series: higher.series.or(self.series),
            artifacts: higher.artifacts.or(self.artifacts),
            max_attempts: higher.max_attempts.or(self.max_attempts),
            poll_secs: higher.poll_secs.or(self.poll_secs),
            lock_timeout_secs: higher.lock_timeout_secs.or(self.lock_timeout_secs),
            chunk_tokens: higher.chunk_tokens.or(self.chunk_tokens),
            words_per_page: higher.words_per_page.or(self.words_per_page),
            portraits: higher.portraits.or(self.portraits),
            style: higher.style.or(self.style),
            prices: match (self.prices, higher.prices) {
                (Some(mut low), Some(high)) => {
                    low.extend(high);
                    Some(low)
                }
                (low, high) => high.or(low),
            },
            image_references: match (self.image_references, higher.image_references) {
                (Some(low), Some(high)) => Some(low.overlay(high)),
                (low, high) => high.or(low),
            },
        }
    }
}

fn overlay_endpoint(
    low: Option<ImageEndpointLayer>,
    high: Option<ImageEndpointLayer>,
) -> Option<ImageEndpointLayer> {
    match (low, high) {
        (Some(low), Some(high)) => Some(ImageEndpointLayer {
            base_url: high.base_url.or(low.base_url),
            api_key: high.api_key.or(low.api_key),
            model: high.model.or(low.model),
        }),
        (low, high) => high.or(low),
    }
}

#[cfg(test)]
mod tests;
