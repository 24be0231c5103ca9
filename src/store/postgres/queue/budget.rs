//! Shared request budgets (`rpm`, `imageRpm`, migration 003): one token-bucket row each.

use super::Queue;
use crate::store::Error;
use crate::store::postgres::db::{execute, query, sql};
use std::time::Duration;

impl Queue {
    /// Takes one request's token from the budget `name` (created on first use: `per_minute`
    /// requests a minute, no burst, so starts are at least 60/`per_minute` s apart across all
    /// workers). `None`: granted; `Some(wait)`: none left, try again after `wait`. The
    /// database's clock decides, so the machines' clocks need not agree.
    pub fn take_token(&self, name: &str, per_minute: u32) -> Result<Option<Duration>, Error> {
        let per_sec = f64::from(per_minute.max(1)) / 60.0;
        self.tx(async |tx| {
            execute(
                tx,
                "INSERT INTO budgets (name, capacity, per_sec, tokens) VALUES ($1, 1, $2, 1) \
                 ON CONFLICT (name) DO UPDATE SET per_sec = EXCLUDED.per_sec \
                 WHERE budgets.per_sec <> EXCLUDED.per_sec",
                &[&name, &per_sec],
                "create a request budget",
            )
            .await?;
            let rows = query(
                tx,
                "WITH now AS (SELECT b.name, clock_timestamp() AS at, \
                     LEAST(b.capacity, b.tokens + b.per_sec * \
                         EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at)::float8) AS left \
                     FROM budgets b WHERE b.name = $1 FOR UPDATE) \
                 UPDATE budgets b SET \
                     tokens = CASE WHEN now.left >= 1 THEN now.left - 1 ELSE now.left END, \
                     updated_at = now.at \
                 FROM now WHERE b.name = now.name \
                 RETURNING now.left, b.per_sec",
                &[&name],
                "take a request token",
            )
            .await?;
            let row = rows.first().ok_or_else(|| Error::Database {
                action: "take a request token",
                source: "the budget's row is missing".into(),
            })?;
            let get = sql("take a request token");
            let (left, per_sec): (f64, f64) =
                (row.try_get(0).map_err(&get)?, row.try_get(1).map_err(&get)?);
            if left >= 1.0 {
                return Ok(None);
            }
            Ok(Some(Duration::from_secs_f64(
                ((1.0 - left) / per_sec).clamp(0.001, 60.0),
            )))
        })
    }
}
