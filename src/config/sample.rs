//! `--init-config`: a commented sample `.imaginize.config` that never overwrites an existing one.

use super::Error;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The sample, in YAML so it can carry comments.
pub const SAMPLE: &str = r#"# imaginize configuration (YAML; JSON works too).
# Looked up in ~/.imaginize.config, then ./.imaginize.config; IMAGINIZE_* environment variables
# and command-line flags override it. ${VAR} is replaced by the environment variable VAR.

# Provider: builtin (offline, no key), openai (any OpenAI-compatible server) or gemini.
# Without this key: OPENAI_API_KEY, OPENROUTER_API_KEY or GEMINI_API_KEY choose, else builtin.
# provider: openai
# baseUrl: https://api.openai.com/v1
# apiKey: ${OPENAI_API_KEY}
# model: gpt-4o-mini
# imageModel: gpt-image-1

# A separate server or key for images:
# imageEndpoint:
#   baseUrl: https://openrouter.ai/api/v1
#   apiKey: ${OPENROUTER_API_KEY}
#   model: google/gemini-2.5-flash-image

# One scene per this many pages (of wordsPerPage words) of a chapter; at least one per chapter.
pagesPerImage: 10
# wordsPerPage: 300

# Requests in flight at once, and optional requests-per-minute caps.
jobs: 4
imageJobs: 2
# rpm: 60
# imageRpm: 10
maxRetries: 5

imageSize: 1024x1024
# imageQuality: standard
# Character portraits sent with each scene, where the image model takes them (see
# docs/consistency.md): a maximum (0 turns them off) or a map over the built-in table.
# imageReferences: 4
# imageReferences: { via: openai-edits, max: 4, inputFidelity: false, seed: false }

# Analysis and illustration at the same time (true) or one after the other (false).
concurrent: true

# Whether a run waits for chapters that another live imaginize (an `--images` worker) holds, and
# takes them over if that worker dies (true), or leaves them to it and exits with 5 (false).
# waitForOthers: true

# Keep the book's state in PostgreSQL, shared by workers on several machines, instead of the
# output folder's manifest (docs/scale-out.md). The password may come from the environment.
# store: postgres://imaginize:${PGPASSWORD}@db.example/imaginize?sslmode=require

# Keep the book's files (pass-1 answers, scenes, images, the cast) in object storage instead of
# the output folder: file:///shared/books or s3://bucket/prefix (AWS_* variables).
# artifacts: s3://books/imaginize

# `imaginize worker`: failed runs of a queued book before it is dead-lettered (shown by
# `imaginize status`); between them the book waits 5 s, 10 s, 20 s, … (at most 5 minutes).
# maxAttempts: 3

# Reference portraits ("cast sheet", images/cast/) for this many of the most present characters:
# drawn once from their appearance cards, shown beside every scene they are in (0: none).
# portraits: 6

# The style guide every image prompt carries verbatim: a string, or its fields. Without it the
# text model proposes one from the book's opening chapters (recorded in <output>/style.json;
# `imaginize style --output-dir DIR --set "…"` changes it for one folder).
# style: "watercolour, soft light, 19th-century England"
# style:
#   artStyle: classic book illustration
#   medium: pen and ink with watercolour washes
#   palette: muted earth tones
#   era: Regency England, 1810s
#   framing: medium shot, eye level
#   invent: false   # true lets appearance cards fill in what the book does not say
"#;

/// Writes the sample into `dir`, refusing to replace an existing file.
pub fn write_sample(dir: &Path) -> Result<PathBuf, Error> {
    let path = dir.join(".imaginize.config");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => Error::ConfigExists { path: path.clone() },
            _ => Error::Write {
                path: path.clone(),
                source,
            },
        })?;
    file.write_all(SAMPLE.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_parses_without_warnings() {
        let parsed = super::super::file::parse(SAMPLE, Path::new("sample"), &|_| None)
            .expect("sample parses");
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(parsed.layer.jobs, Some(4));
    }

    #[test]
    fn never_overwrites() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_sample(dir.path()).expect("first write");
        let err = write_sample(dir.path()).expect_err("second write refused");
        assert!(matches!(err, Error::ConfigExists { .. }));
    }
}
