//! The store's schema, as numbered migrations embedded in the binary and applied when a store
//! opens. Several workers starting at once are safe: the whole check-and-apply runs in one
//! transaction under a transaction-level advisory lock, so one of them applies what is
//! missing and the others then find it done.

use crate::store::Error;
use crate::store::postgres::db::{Tx, block, execute, query, sql};
use deadpool_postgres::Object;

/// The migrations, in order. Never edit one that has shipped: add the next.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("migrations/001_books.sql")),
    (2, include_str!("migrations/002_queue.sql")),
    (3, include_str!("migrations/003_budgets.sql")),
    (4, include_str!("migrations/004_portraits.sql")),
    (5, include_str!("migrations/005_helpers.sql")),
    (6, include_str!("migrations/006_portraits_wanted.sql")),
    (7, include_str!("migrations/007_wake_payload.sql")),
];

/// The advisory lock key taken while migrating ("imaginiz" in ASCII): the one-`bigint` form,
/// a key space of its own apart from the books' two-`int` locks.
pub(super) const MIGRATION_LOCK: i64 = 0x696d_6167_696e_697a;

/// The schema version this build writes.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |(version, _)| *version)
}

/// Brings the database to [`latest`]; refuses a database a newer imaginize migrated.
pub(super) fn migrate(client: &mut Object) -> Result<(), Error> {
    // Every worker opens the store as it starts; they queued one by one for the lock only to
    // find the schema current. A current schema is read, not locked.
    if block(up_to_date(client)) {
        return Ok(());
    }
    block(async {
        let tx = client
            .transaction()
            .await
            .map_err(sql("begin the migration"))?;
        execute(
            &tx,
            "SELECT pg_advisory_xact_lock($1)",
            &[&MIGRATION_LOCK],
            "lock the schema",
        )
        .await?;
        let current = current_version(&tx).await?;
        if current > latest() {
            return Err(Error::Database {
                action: "use this database",
                source: format!(
                    "its schema is version {current}, newer than this imaginize's {}; upgrade imaginize",
                    latest()
                )
                .into(),
            });
        }
        for (version, statements) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(statements)
                .await
                .map_err(sql("apply a schema migration"))?;
            execute(
                &tx,
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[version],
                "record the schema version",
            )
            .await?;
        }
        tx.commit().await.map_err(sql("commit the migration"))
    })
}

/// Whether the database's schema is already [`latest`] (any failure to read it, such as no
/// `schema_version` table yet, says no: the locked path finds out properly).
async fn up_to_date(client: &Object) -> bool {
    let Ok(rows) = client
        .query("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .await
    else {
        return false;
    };
    rows.first()
        .and_then(|row| row.try_get::<_, i32>(0).ok())
        .is_some_and(|version| version == latest())
}

async fn current_version(tx: &Tx<'_>) -> Result<i32, Error> {
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .map_err(sql("create the schema_version table"))?;
    let rows = query(
        tx,
        "SELECT coalesce(max(version), 0) FROM schema_version",
        &[],
        "read the schema version",
    )
    .await?;
    rows.first()
        .map(|row| row.try_get::<_, i32>(0))
        .transpose()
        .map_err(sql("read the schema version"))
        .map(|v| v.unwrap_or(0))
}
