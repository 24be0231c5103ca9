use super::*;
use std::path::PathBuf;

fn no_env(_: &str) -> Option<String> {
    None
}

fn path() -> PathBuf {
    PathBuf::from("/home/u/.imaginize.config")
}

#[test]
fn reads_the_old_tools_keys_from_json() {
    let text = r#"{"baseUrl": "http://localhost:11434/v1", "apiKey": "sk-x", "model": "llama3",
        "imageModel": "dall-e-3", "imageEndpoint": {"baseUrl": "http://img", "apiKey": "k2", "model": "m"},
        "pagesPerImage": 5, "maxConcurrency": 3, "maxRetries": 2, "imageSize": "512x512",
        "imageQuality": "hd", "experimentalConcurrent": true, "outputPattern": "out_{name}"}"#;
    let parsed = parse(text, &path(), &no_env).expect("valid config");
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let layer = parsed.layer;
    assert_eq!(layer.base_url.as_deref(), Some("http://localhost:11434/v1"));
    assert_eq!(layer.max_concurrency, Some(3));
    assert_eq!(layer.pages_per_image, Some(5.0));
    assert_eq!(layer.experimental_concurrent, Some(true));
    assert_eq!(
        layer.image_endpoint.and_then(|e| e.model).as_deref(),
        Some("m")
    );
}

#[test]
fn reads_yaml_and_expands_variables() {
    let text = "model: gpt-4o-mini\napiKey: ${MY_KEY}\nimageJobs: 4\n";
    let lookup = |name: &str| (name == "MY_KEY").then(|| "sk-from-env".to_string());
    let parsed = parse(text, &path(), &lookup).expect("valid yaml");
    assert_eq!(parsed.layer.api_key.as_deref(), Some("sk-from-env"));
    assert_eq!(parsed.layer.image_jobs, Some(4));
}

#[test]
fn an_unset_variable_is_an_error_naming_it() {
    let err = parse("apiKey: ${NOPE}\n", &path(), &no_env).expect_err("unset var");
    assert!(err.to_string().contains("NOPE"), "{err}");
}

#[test]
fn unknown_keys_are_warned_with_the_file_and_a_suggestion() {
    let parsed = parse("modle: x\n", &path(), &no_env).expect("valid yaml");
    assert_eq!(parsed.warnings.len(), 1);
    let warning = &parsed.warnings[0];
    assert!(warning.contains("`modle`"), "{warning}");
    assert!(warning.contains(".imaginize.config"), "{warning}");
    assert!(warning.contains("did you mean `model`"), "{warning}");
}

#[test]
fn malformed_json_names_line_and_column() {
    let err = parse("{\n  \"model\": \"x\",\n  oops\n}", &path(), &no_env).expect_err("bad");
    let message = err.to_string();
    assert!(message.contains(".imaginize.config:3:"), "{message}");
}

#[test]
fn malformed_yaml_names_line_and_column() {
    let err = parse("model: x\nimageJobs: [1, 2\nstyle: y\n", &path(), &no_env).expect_err("bad");
    let message = err.to_string();
    assert!(message.contains(".imaginize.config:"), "{message}");
    match err {
        Error::Malformed { line, .. } => assert!(line >= 2, "line {line}"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_wrong_type_is_an_error_naming_the_file() {
    let err = parse("jobs: many\n", &path(), &no_env).expect_err("bad type");
    assert!(err.to_string().contains(".imaginize.config"), "{err}");
}

#[test]
fn higher_layers_win_and_unset_values_fall_through() {
    let low = Layer {
        model: Some("low".into()),
        jobs: Some(2),
        ..Layer::default()
    };
    let high = Layer {
        model: Some("high".into()),
        ..Layer::default()
    };
    let merged = low.overlay(high);
    assert_eq!(merged.model.as_deref(), Some("high"));
    assert_eq!(merged.jobs, Some(2));
}
