//! Default prices for common models (USD), overridable from config; used only by `--estimate`.

use std::collections::BTreeMap;

/// What one model costs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Price {
    /// USD per million input tokens.
    pub input_per_mtok: f64,
    /// USD per million output tokens.
    pub output_per_mtok: f64,
    /// USD per generated image (at the default size and quality).
    pub per_image: f64,
}

/// Model name → price. Lookups ignore an `openai/`-style vendor prefix.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PriceTable(pub BTreeMap<String, Price>);

impl PriceTable {
    /// List prices published by the vendors (late 2025); config entries override them.
    pub fn defaults() -> Self {
        let p = |i, o, img| Price {
            input_per_mtok: i,
            output_per_mtok: o,
            per_image: img,
        };
        let entries = [
            ("gpt-4o-mini", p(0.15, 0.60, 0.0)),
            ("gpt-4o", p(2.50, 10.0, 0.0)),
            ("gpt-4.1-mini", p(0.40, 1.60, 0.0)),
            ("gpt-4.1", p(2.0, 8.0, 0.0)),
            ("gpt-5-mini", p(0.25, 2.0, 0.0)),
            ("gpt-image-1", p(5.0, 40.0, 0.042)),
            ("dall-e-3", p(0.0, 0.0, 0.040)),
            ("dall-e-2", p(0.0, 0.0, 0.020)),
            ("gemini-2.5-flash", p(0.30, 2.50, 0.0)),
            ("gemini-2.5-flash-lite", p(0.10, 0.40, 0.0)),
            ("gemini-2.5-pro", p(1.25, 10.0, 0.0)),
            ("gemini-2.5-flash-image", p(0.30, 2.50, 0.039)),
            ("gemini-2.5-flash-image-preview", p(0.30, 2.50, 0.039)),
        ];
        PriceTable(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    /// Adds or replaces entries (from config).
    pub fn with_overrides(mut self, overrides: &BTreeMap<String, Price>) -> Self {
        self.0
            .extend(overrides.iter().map(|(k, v)| (k.clone(), *v)));
        self
    }

    /// The price of `model`, trying the name without its vendor prefix too.
    pub fn get(&self, model: &str) -> Option<Price> {
        let bare = model.rsplit('/').next().unwrap_or(model);
        self.0.get(model).or_else(|| self.0.get(bare)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_with_and_without_vendor_prefix_and_overrides() {
        let t = PriceTable::defaults();
        assert!(t.get("openai/gpt-4o-mini").is_some());
        assert!(t.get("no-such-model").is_none());
        let mut o = BTreeMap::new();
        o.insert(
            "gpt-4o-mini".to_string(),
            Price {
                input_per_mtok: 9.0,
                ..Price::default()
            },
        );
        let t = t.with_overrides(&o);
        assert_eq!(t.get("gpt-4o-mini").map(|p| p.input_per_mtok), Some(9.0));
    }
}
