//! The process environment as a config layer: `IMAGINIZE_*` variables and the providers' own
//! key variables. Read through `Environment` so tests pass their own.

use super::Error;
use super::file::Layer;
use std::collections::HashMap;
use std::path::PathBuf;

/// What the outside world gives a run: variables, the current folder and the home folder.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub vars: HashMap<String, String>,
    pub cwd: PathBuf,
    pub home: Option<PathBuf>,
}

impl Environment {
    /// The real process environment.
    pub fn from_process() -> Self {
        Environment {
            vars: std::env::vars().collect(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            home: directories::BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf()),
        }
    }

    /// A variable's value, treating an empty value as unset.
    pub fn var(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .filter(|value| !value.trim().is_empty())
            .cloned()
    }
}

/// The `IMAGINIZE_*` variables as a layer.
pub fn layer(env: &Environment) -> Result<Layer, Error> {
    Ok(Layer {
        provider: env.var("IMAGINIZE_PROVIDER"),
        base_url: env.var("IMAGINIZE_BASE_URL"),
        api_key: env.var("IMAGINIZE_API_KEY"),
        model: env.var("IMAGINIZE_MODEL"),
        image_model: env.var("IMAGINIZE_IMAGE_MODEL"),
        jobs: number(env, "IMAGINIZE_JOBS")?,
        image_jobs: number(env, "IMAGINIZE_IMAGE_JOBS")?,
        concurrent: boolean(env, "IMAGINIZE_CONCURRENT")?,
        output_dir: env.var("IMAGINIZE_OUTPUT_DIR"),
        store: env.var("IMAGINIZE_STORE"),
        artifacts: env.var("IMAGINIZE_ARTIFACTS"),
        style: env
            .var("IMAGINIZE_STYLE")
            .map(|text| crate::style::Style::text(&text)),
        ..Layer::default()
    })
}

fn number<T: std::str::FromStr>(env: &Environment, name: &str) -> Result<Option<T>, Error> {
    env.var(name)
        .map(|value| {
            value.trim().parse().map_err(|_| Error::BadEnv {
                name: name.to_string(),
                value,
                expected: "a whole number",
            })
        })
        .transpose()
}

fn boolean(env: &Environment, name: &str) -> Result<Option<bool>, Error> {
    env.var(name)
        .map(|value| match value.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(Error::BadEnv {
                name: name.to_string(),
                value,
                expected: "true or false",
            }),
        })
        .transpose()
}
