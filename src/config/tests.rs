use super::*;
use crate::cli::{ProviderArg, RunArgs};
use crate::provider::ProviderKind;
use std::collections::HashMap;

struct Fixture {
    _home: tempfile::TempDir,
    _cwd: tempfile::TempDir,
    env: Environment,
}

fn fixture(
    vars: &[(&str, &str)],
    home_config: Option<&str>,
    local_config: Option<&str>,
) -> Fixture {
    let home = tempfile::tempdir().expect("tempdir");
    let cwd = tempfile::tempdir().expect("tempdir");
    if let Some(text) = home_config {
        std::fs::write(home.path().join(".imaginize.config"), text).expect("write");
    }
    if let Some(text) = local_config {
        std::fs::write(cwd.path().join(".imaginize.config"), text).expect("write");
    }
    let env = Environment {
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
        cwd: cwd.path().to_path_buf(),
        home: Some(home.path().to_path_buf()),
    };
    Fixture {
        _home: home,
        _cwd: cwd,
        env,
    }
}

fn resolve_with(args: &RunArgs, fx: &Fixture) -> Resolved {
    resolve(args, Verbosity::Normal, &fx.env).expect("resolves")
}

#[test]
fn defaults_to_builtin_with_a_notice_and_everything_enabled() {
    let fx = fixture(&[], None, None);
    let resolved = resolve_with(&RunArgs::default(), &fx);
    let options = resolved.options;
    assert_eq!(options.provider.kind, ProviderKind::Builtin);
    assert_eq!(resolved.notices.len(), 1);
    assert!(resolved.notices[0].contains("OPENAI_API_KEY"));
    assert_eq!(options.mode, ExecMode::Concurrent);
    assert!(options.phases.entities && options.phases.scenes && options.phases.images);
}

#[test]
fn layers_override_in_order_home_local_env_flags() {
    let fx = fixture(
        &[("IMAGINIZE_IMAGE_JOBS", "7")],
        Some("jobs: 1\nimageJobs: 1\nmodel: home-model\nstyle: home\n"),
        Some("jobs: 2\nmodel: local-model\nprovider: openai\nbaseUrl: http://127.0.0.1:9/v1\n"),
    );
    let args = RunArgs {
        model: Some("flag-model".into()),
        ..RunArgs::default()
    };
    let options = resolve_with(&args, &fx).options;
    assert_eq!(options.provider.jobs, 2, "local file beats home");
    assert_eq!(options.provider.image_jobs, 7, "env beats files");
    assert_eq!(options.provider.text.model, "flag-model", "flags beat all");
    assert_eq!(
        options.style.map(|s| s.line()).as_deref(),
        Some("home"),
        "unset keys fall through"
    );
}

#[test]
fn sequential_mode_from_env_config_alias_and_flags() {
    let fx = fixture(&[("IMAGINIZE_CONCURRENT", "false")], None, None);
    assert_eq!(
        resolve_with(&RunArgs::default(), &fx).options.mode,
        ExecMode::Sequential
    );
    let fx = fixture(&[], None, Some("experimentalConcurrent: false\n"));
    assert_eq!(
        resolve_with(&RunArgs::default(), &fx).options.mode,
        ExecMode::Sequential
    );
    let args = RunArgs {
        concurrent: true,
        ..RunArgs::default()
    };
    let fx = fixture(&[("IMAGINIZE_CONCURRENT", "false")], None, None);
    assert_eq!(resolve_with(&args, &fx).options.mode, ExecMode::Concurrent);
}

#[test]
fn openai_key_in_env_selects_openai_and_stays_secret() {
    let fx = fixture(
        &[("OPENAI_API_KEY", "sk-test-abcdefgh12345678")],
        None,
        None,
    );
    let options = resolve_with(&RunArgs::default(), &fx).options;
    assert_eq!(options.provider.kind, ProviderKind::OpenAi);
    assert_eq!(options.provider.text.base_url, "https://api.openai.com/v1");
    let debug = format!("{options:?}");
    assert!(!debug.contains("abcdefgh12345678"), "key leaked: {debug}");
}

#[test]
fn openrouter_key_points_at_openrouter() {
    let fx = fixture(&[("OPENROUTER_API_KEY", "sk-or-v1-0123456789")], None, None);
    let options = resolve_with(&RunArgs::default(), &fx).options;
    assert_eq!(
        options.provider.text.base_url,
        "https://openrouter.ai/api/v1"
    );
}

#[test]
fn image_endpoint_can_differ_from_text() {
    let fx = fixture(
        &[],
        None,
        Some(
            "baseUrl: http://127.0.0.1:9/v1\nimageEndpoint:\n  baseUrl: http://127.0.0.1:8/v1/\n  apiKey: img-key-123456789\n",
        ),
    );
    let options = resolve_with(&RunArgs::default(), &fx).options;
    assert_eq!(options.provider.kind, ProviderKind::OpenAi);
    assert_eq!(options.provider.image.base_url, "http://127.0.0.1:8/v1");
    assert_eq!(
        options.provider.image.api_key.as_ref().map(|k| k.expose()),
        Some("img-key-123456789")
    );
}

#[test]
fn hosted_provider_without_key_is_a_clear_error() {
    let fx = fixture(&[], None, None);
    let args = RunArgs {
        provider: Some(ProviderArg::Gemini),
        ..RunArgs::default()
    };
    let err = resolve(&args, Verbosity::Normal, &fx.env).expect_err("needs key");
    assert!(err.to_string().contains("GEMINI_API_KEY"), "{err}");
}

#[test]
fn an_estimate_of_a_hosted_provider_needs_no_key() {
    let fx = fixture(&[], None, None);
    let args = RunArgs {
        provider: Some(ProviderArg::Gemini),
        estimate: true,
        ..RunArgs::default()
    };
    let resolved = resolve(&args, Verbosity::Normal, &fx.env).expect("no call, no key");
    assert_eq!(resolved.options.provider.kind, ProviderKind::Gemini);
    assert!(resolved.options.provider.text.api_key.is_none());
}

#[test]
fn text_only_and_images_only_phases() {
    let fx = fixture(&[], None, None);
    let text = RunArgs {
        text: true,
        ..RunArgs::default()
    };
    let phases = resolve_with(&text, &fx).options.phases;
    assert!(phases.entities && phases.scenes && !phases.images);
    let images = RunArgs {
        images: true,
        ..RunArgs::default()
    };
    let phases = resolve_with(&images, &fx).options.phases;
    assert!(!phases.entities && !phases.scenes && phases.images);
}

#[test]
fn unknown_keys_in_files_become_warnings() {
    let fx = fixture(&[], None, Some("imagejobs: 3\n"));
    let resolved = resolve_with(&RunArgs::default(), &fx);
    assert_eq!(resolved.warnings.len(), 1);
    assert!(resolved.warnings[0].contains("imageJobs"));
}

#[test]
fn bad_env_values_are_errors_naming_the_variable() {
    let fx = fixture(&[("IMAGINIZE_JOBS", "lots")], None, None);
    let err = resolve(&RunArgs::default(), Verbosity::Normal, &fx.env).expect_err("bad env");
    assert!(err.to_string().contains("IMAGINIZE_JOBS"), "{err}");
}

#[test]
fn waiting_for_other_workers_is_the_default_and_no_wait_or_the_key_turns_it_off() {
    let fx = fixture(&[], None, None);
    assert!(
        resolve_with(&RunArgs::default(), &fx)
            .options
            .wait_for_others
    );
    let fx = fixture(&[], None, Some("waitForOthers: false\n"));
    let resolved = resolve_with(&RunArgs::default(), &fx);
    assert!(!resolved.options.wait_for_others);
    assert!(resolved.warnings.is_empty(), "{:?}", resolved.warnings);
    let args = RunArgs {
        no_wait: true,
        ..RunArgs::default()
    };
    let fx = fixture(&[], None, Some("waitForOthers: true\n"));
    assert!(!resolve_with(&args, &fx).options.wait_for_others);
}

#[test]
fn the_store_comes_from_flag_env_or_config_and_never_shows_its_password() {
    let fx = fixture(&[], None, Some("store: postgres://me:s3cret@db/books\n"));
    let resolved = resolve_with(&RunArgs::default(), &fx);
    assert!(resolved.warnings.is_empty(), "{:?}", resolved.warnings);
    let store = resolved
        .options
        .store
        .clone()
        .expect("store from the config");
    assert_eq!(store.expose(), "postgres://me:s3cret@db/books");
    assert!(!format!("{:?}", resolved.options).contains("s3cret"));
    let fx = fixture(&[("IMAGINIZE_STORE", "postgresql://db/env")], None, None);
    let args = RunArgs {
        store: Some("postgres://db/flag".into()),
        ..RunArgs::default()
    };
    assert_eq!(
        resolve_with(&args, &fx).options.store.map(|s| s.redacted()),
        Some("postgres://db/flag".into())
    );
    assert!(
        resolve_with(&RunArgs::default(), &fixture(&[], None, None))
            .options
            .store
            .is_none()
    );
    let fx = fixture(&[("IMAGINIZE_STORE", "mysql://me:s3cret@db/x")], None, None);
    let err = resolve(&RunArgs::default(), Verbosity::Normal, &fx.env).expect_err("not postgres");
    assert!(!err.to_string().contains("s3cret") && err.to_string().contains("postgres://"));
}

#[test]
fn a_misspelt_style_field_is_named_in_the_error() {
    let fx = fixture(&[], None, Some("style:\n  artStyl: etching\n"));
    let err = resolve(&RunArgs::default(), Verbosity::Normal, &fx.env).expect_err("typo");
    assert!(err.to_string().contains("unknown field `artStyl`"), "{err}");
    let fx = fixture(&[], None, Some("style:\n  - etching\n"));
    let err = resolve(&RunArgs::default(), Verbosity::Normal, &fx.env).expect_err("a list");
    assert!(
        err.to_string().contains("a style as text, or a map"),
        "{err}"
    );
}

#[test]
fn the_artifacts_come_from_flag_env_or_config_and_must_be_a_url() {
    let fx = fixture(&[], None, Some("artifacts: s3://books/imaginize\n"));
    let resolved = resolve_with(&RunArgs::default(), &fx);
    assert!(resolved.warnings.is_empty(), "{:?}", resolved.warnings);
    assert_eq!(
        resolved.options.artifacts.as_deref(),
        Some("s3://books/imaginize")
    );
    let fx = fixture(&[("IMAGINIZE_ARTIFACTS", "file:///env")], None, None);
    assert_eq!(
        resolve_with(&RunArgs::default(), &fx)
            .options
            .artifacts
            .as_deref(),
        Some("file:///env")
    );
    let args = RunArgs {
        artifacts: Some("file:///flag".into()),
        ..RunArgs::default()
    };
    assert_eq!(
        resolve_with(&args, &fx).options.artifacts.as_deref(),
        Some("file:///flag")
    );
    let fx = fixture(&[("IMAGINIZE_ARTIFACTS", "/plain/folder")], None, None);
    let err = resolve(&RunArgs::default(), Verbosity::Normal, &fx.env).expect_err("not a URL");
    assert!(err.to_string().contains("file:// or s3://"), "{err}");
}

#[test]
fn max_attempts_comes_from_the_config_with_a_default_of_three() {
    let fx = fixture(&[], None, Some("maxAttempts: 5\n"));
    let resolved = resolve_with(&RunArgs::default(), &fx);
    assert!(resolved.warnings.is_empty(), "{:?}", resolved.warnings);
    assert_eq!(resolved.options.max_attempts, 5);
    let none = resolve_with(&RunArgs::default(), &fixture(&[], None, None));
    assert_eq!(none.options.max_attempts, 3);
}

#[test]
fn style_is_a_string_or_a_map_of_its_fields() {
    let fx = fixture(
        &[],
        None,
        Some("style:\n  artStyle: etching\n  palette: sepia\n  era: 1810s England\n"),
    );
    let options = resolve_with(&RunArgs::default(), &fx).options;
    let style = options.style.unwrap_or_default();
    assert_eq!(style.art_style, "etching");
    assert_eq!(style.era_setting, "1810s England");
    assert_eq!(
        style.line(),
        "art style: etching; palette: sepia; era and setting: 1810s England"
    );
}

#[test]
fn image_references_are_a_number_or_a_map_layered_field_by_field() {
    use crate::provider::ReferenceVia;
    let fx = fixture(
        &[],
        Some("imageReferences:\n  via: openai-edits\n  seed: true\n"),
        Some("provider: openai\nbaseUrl: http://127.0.0.1:9/v1\nimageReferences: 4\n"),
    );
    let resolved = resolve_with(&RunArgs::default(), &fx);
    assert!(resolved.warnings.is_empty(), "{:?}", resolved.warnings);
    let o = resolved.options.provider.image_capability;
    assert_eq!(o.max, Some(4), "local file's number");
    assert_eq!(o.via, Some(ReferenceVia::OpenaiEdits), "home file's map");
    assert_eq!(o.seed, Some(true));
    let fx = fixture(&[], None, None);
    let none = resolve_with(&RunArgs::default(), &fx).options.provider;
    assert_eq!(none.image_capability, Default::default());
}

#[test]
fn portraits_default_to_six_and_zero_turns_them_off() {
    let fx = fixture(&[], None, None);
    assert_eq!(resolve_with(&RunArgs::default(), &fx).options.portraits, 6);
    let fx = fixture(&[], None, Some("portraits: 0\n"));
    let resolved = resolve_with(&RunArgs::default(), &fx);
    assert_eq!(resolved.options.portraits, 0);
    assert!(resolved.warnings.is_empty(), "{:?}", resolved.warnings);
}
