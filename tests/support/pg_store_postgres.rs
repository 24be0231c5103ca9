//! `crate::store::postgres` for the test cluster: the store it opens and the cluster itself.

pub(crate) use imaginize::store::PgState;

#[path = "../../src/store/postgres/test_cluster.rs"]
#[expect(dead_code, reason = "only the database helpers are used by the tests")]
pub(crate) mod test_cluster;
