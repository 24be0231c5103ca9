//! `imaginize submit`: each book uploaded to the artifacts and queued; one id per book printed.
//! The same book submitted again is the same id (nothing uploaded or queued again) unless
//! `--force`, which queues a new entry that starts over. The submitted settings are flags
//! (provider, models, chapters, limit): no key, no base URL; workers bring their own.

use super::{SubmitArgs, book_artifacts, source_key};
use crate::config::Environment;
use crate::error::Error;
use crate::report::Reporter;
use crate::store::artifacts::Artifacts;
use crate::store::postgres::queue::Submission;
use sha2::{Digest, Sha256};
use std::path::Path;

pub fn run(args: &SubmitArgs, reporter: &Reporter, env: &Environment) -> Result<(), Error> {
    let queue = args.stores.queue(env)?;
    let root = args.stores.artifacts_url(env)?;
    let settings = settings(args)?;
    for path in &args.books {
        let path = env.cwd.join(path);
        let (submission, bytes) = prepare(&path, args.force, settings.clone())?;
        let artifacts = book_artifacts(&root, &submission.id)?;
        artifacts.put(&source_key(&submission.file_name)?, &bytes)?;
        if queue.submit(&submission)? {
            reporter.info(&format!("queued `{}` as {}", path.display(), submission.id));
        } else {
            reporter.info(&format!(
                "`{}` was already submitted as {} (use --force to queue it again)",
                path.display(),
                submission.id
            ));
        }
        reporter.output(&format!("{}\n", submission.id));
    }
    Ok(())
}

/// Reads and checks the book (it must load here, not fail on every worker) and names it.
fn prepare(
    path: &Path,
    force: bool,
    settings: Vec<String>,
) -> Result<(Submission, Vec<u8>), Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    crate::book::load(path)?;
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let id = if force {
        let nonce = format!(
            "{sha256}:{}:{}",
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0),
            fastrand::u64(..)
        );
        format!("{:x}", Sha256::digest(nonce.as_bytes()))[..16].to_string()
    } else {
        sha256[..16].to_string()
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Usage(format!("`{}` is not a file", path.display())))?;
    Ok((
        Submission {
            id,
            sha256,
            file_name,
            settings,
        },
        bytes,
    ))
}

/// The submitted flags as the worker will pass them to the run; checked now (a bad range fails
/// here, not on a worker).
fn settings(args: &SubmitArgs) -> Result<Vec<String>, Error> {
    let mut flags = Vec::new();
    if let Some(provider) = args.provider {
        let name = match provider {
            crate::cli::ProviderArg::Builtin => "builtin",
            crate::cli::ProviderArg::Openai => "openai",
            crate::cli::ProviderArg::Gemini => "gemini",
        };
        flags.extend(["--provider".to_string(), name.to_string()]);
    }
    for (flag, value) in [
        ("--model", &args.model),
        ("--image-model", &args.image_model),
        ("--chapters", &args.chapters),
    ] {
        if let Some(value) = value {
            flags.extend([flag.to_string(), value.clone()]);
        }
    }
    if let Some(chapters) = &args.chapters {
        crate::config::ChapterSelection::parse(chapters)?;
    }
    if let Some(limit) = args.limit {
        if limit == 0 {
            return Err(Error::Usage("--limit must be at least 1".into()));
        }
        flags.extend(["--limit".to_string(), limit.to_string()]);
    }
    Ok(flags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::Stores;

    fn args() -> SubmitArgs {
        SubmitArgs {
            stores: Stores::default(),
            books: vec![],
            force: false,
            provider: Some(crate::cli::ProviderArg::Openai),
            model: Some("m".into()),
            image_model: None,
            chapters: Some("1-2".into()),
            limit: Some(3),
        }
    }

    #[test]
    fn the_settings_are_the_flags_without_anything_secret() {
        let flags = settings(&args()).unwrap();
        assert_eq!(
            flags,
            [
                "--provider",
                "openai",
                "--model",
                "m",
                "--chapters",
                "1-2",
                "--limit",
                "3"
            ]
        );
        let bad = SubmitArgs {
            chapters: Some("x".into()),
            ..args()
        };
        assert!(settings(&bad).is_err());
    }

    #[test]
    fn the_same_book_is_the_same_id_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.txt");
        std::fs::write(&path, "Chapter 1\n\nSome words here.\n").unwrap();
        let (a, _) = prepare(&path, false, vec![]).unwrap();
        let (b, _) = prepare(&path, false, vec![]).unwrap();
        let (c, _) = prepare(&path, true, vec![]).unwrap();
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, c.id);
        assert_eq!((a.id.len(), a.file_name.as_str()), (16, "b.txt"));
    }
}
