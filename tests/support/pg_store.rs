//! The library's test servers (src/store/test_server.rs, src/store/postgres/test_cluster.rs)
//! for an integration test: mounted as `crate::store`, the paths they expect.

#[path = "../../src/store/test_server.rs"]
pub(crate) mod test_server;

#[path = "pg_store_postgres.rs"]
pub(crate) mod postgres;
