//! Request budgets shared by every worker (config `rpm`, `imageRpm`): the worker's models are
//! wrapped so that each call first takes a token from the budget's row in the database
//! (`Queue::take_token`), so N workers together start at most `rpm` requests a minute. The
//! budget is named by the endpoint and a short hash of its key (never the key): workers with
//! the same account share it. Each process's own pacer (`provider::limits`) still applies.
//!
//! A call's retries (after a 429 or a dropped connection) are inside the provider and take no
//! second token: with the budget below the account's limit they are rare.

use crate::provider::{
    self, Endpoint, ImageMeta, ImageModel, ImageOptions, ImageRequest, TextModel, TextRequest,
    Usage,
};
use crate::report::Reporter;
use crate::store::postgres::queue::Queue;
use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// One budget: its row's name and its rate.
#[derive(Clone)]
pub struct Budget {
    queue: Arc<Queue>,
    name: String,
    per_minute: u32,
    reporter: Reporter,
}

impl Budget {
    /// The budget of `endpoint` for `kind` ("text", "image"), when `per_minute` is set.
    pub fn of(
        queue: &Arc<Queue>,
        kind: &str,
        endpoint: &Endpoint,
        per_minute: Option<u32>,
        reporter: &Reporter,
    ) -> Option<Budget> {
        let per_minute = per_minute.filter(|r| *r > 0)?;
        let key = endpoint.api_key.as_ref().map_or("", |k| k.expose());
        let hash = format!("{:x}", Sha256::digest(key.as_bytes()));
        Some(Budget {
            queue: queue.clone(),
            name: format!("{kind}:{}:{}", endpoint.base_url, &hash[..12]),
            per_minute,
            reporter: reporter.clone(),
        })
    }

    /// Waits for this request's token. While the database cannot be reached the request waits
    /// too (a budget that cannot be checked is not spent).
    pub async fn turn(&self) {
        loop {
            let (queue, name, rate) = (self.queue.clone(), self.name.clone(), self.per_minute);
            let taken = tokio::task::spawn_blocking(move || queue.take_token(&name, rate)).await;
            match taken {
                Ok(Ok(None)) => return,
                Ok(Ok(Some(wait))) => tokio::time::sleep(wait).await,
                Ok(Err(err)) => {
                    self.reporter
                        .warn(&format!("the shared request budget: {err}; waiting"));
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
    }
}

/// A text model whose calls take a token of a shared budget first.
pub struct BudgetedText {
    pub inner: Arc<dyn TextModel>,
    pub budget: Budget,
}

#[async_trait]
impl TextModel for BudgetedText {
    fn wrapped(&self) -> Option<&dyn TextModel> {
        Some(self.inner.as_ref())
    }

    async fn complete_json(
        &self,
        request: &TextRequest,
    ) -> Result<(serde_json::Value, Usage), provider::Error> {
        self.budget.turn().await;
        self.inner.complete_json(request).await
    }
}

/// An image model whose calls take a token of a shared budget first.
pub struct BudgetedImage {
    pub inner: Arc<dyn ImageModel>,
    pub budget: Budget,
}

#[async_trait]
impl ImageModel for BudgetedImage {
    fn wrapped(&self) -> Option<&dyn ImageModel> {
        Some(self.inner.as_ref())
    }

    async fn generate(
        &self,
        request: &ImageRequest,
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), provider::Error> {
        self.budget.turn().await;
        self.inner.generate(request, options).await
    }
}

/// `models` with the shared budgets the settings ask for.
pub fn wrap(
    models: provider::Models,
    settings: &provider::Settings,
    queue: &Arc<Queue>,
    reporter: &Reporter,
) -> provider::Models {
    let text = match Budget::of(queue, "text", &settings.text, settings.rpm, reporter) {
        Some(budget) => Arc::new(BudgetedText {
            inner: models.text,
            budget,
        }) as Arc<dyn TextModel>,
        None => models.text,
    };
    let image = match Budget::of(
        queue,
        "image",
        &settings.image,
        settings.image_rpm,
        reporter,
    ) {
        Some(budget) => Arc::new(BudgetedImage {
            inner: models.image,
            budget,
        }) as Arc<dyn ImageModel>,
        None => models.image,
    };
    provider::Models { text, image }
}
