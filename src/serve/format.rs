//! Figures as the pages show them. The book's figures are formatted here once, on the server,
//! and sent in the view (`Head::display`), so the page's script shows them without formatting
//! code of its own.

use crate::serve::eta::Pipeline;
use crate::serve::view::Head;
use std::collections::BTreeMap;

/// `1h02m`, `3m05s`, `12s`; `—` when unknown.
pub fn duration(secs: Option<u64>) -> String {
    match secs {
        None => "—".to_owned(),
        Some(s) if s >= 3600 => format!("{}h{:02}m", s / 3600, s / 60 % 60),
        Some(s) if s >= 60 => format!("{}m{:02}s", s / 60, s % 60),
        Some(s) => format!("{s}s"),
    }
}

/// `$1.23`, or `—` when a price is unknown.
pub fn money(cost: Option<f64>) -> String {
    cost.map_or_else(|| "—".to_owned(), |c| format!("${c:.2}"))
}

/// Every figure of the book page by the key its element carries (`data-k`).
pub fn display(head: &Head) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, pipeline) in [
        ("pass1", &head.pass1),
        ("pass2", &head.pass2),
        ("images", &head.images),
    ] {
        out.insert(
            key.to_owned(),
            format!("{} / {}", pipeline.done, pipeline.total),
        );
        out.insert(format!("{key}-rate"), rate(pipeline));
    }
    out.insert("eta".into(), duration(head.eta_secs));
    let tokens = head.usage.prompt_tokens + head.usage.completion_tokens;
    out.insert(
        "tokens".into(),
        format!(
            "{tokens} ({} in, {} out)",
            head.usage.prompt_tokens, head.usage.completion_tokens
        ),
    );
    out.insert("image-count".into(), head.usage.images.to_string());
    out.insert("cost".into(), money(head.cost_usd));
    out.insert(
        "chapters".into(),
        format!(
            "{} complete, {} failed",
            head.chapters_complete, head.chapters_failed
        ),
    );
    out.insert("elements".into(), head.elements_status.clone());
    // Unknown until the manifest is read: the page keeps what it shows (the book's id) till then.
    for (key, value) in [("title", &head.title), ("author", &head.author)] {
        if !value.is_empty() {
            out.insert(key.into(), value.clone());
        }
    }
    out.insert("error".into(), head.error.clone().unwrap_or_default());
    out
}

fn rate(p: &Pipeline) -> String {
    let per_min = p
        .per_min
        .map_or_else(|| "—".to_owned(), |r| format!("{r}/min"));
    format!("{per_min} · ETA {}", duration(p.eta_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_money_read_well() {
        assert_eq!(duration(Some(3725)), "1h02m");
        assert_eq!(duration(Some(65)), "1m05s");
        assert_eq!(duration(None), "—");
        assert_eq!(money(Some(1.234)), "$1.23");
        let head = Head::default();
        assert_eq!(display(&head)["pass1-rate"], "— · ETA —");
    }
}
