use super::*;
use crate::store::postgres::test_cluster::new_database;

fn queue(name: &str) -> Option<Queue> {
    let url = new_database(name)?;
    Some(Queue::open(&url).expect("open the queue"))
}

fn book(id: &str) -> Submission {
    Submission {
        id: id.into(),
        sha256: format!("{id}-sha"),
        file_name: format!("{id}.txt"),
        settings: vec!["--limit".into(), "2".into()],
    }
}

const LEASE: Duration = Duration::from_secs(60);

#[test]
fn a_book_is_queued_once_and_taken_by_one_worker_at_a_time() {
    let Some(q) = queue("queue_once") else { return };
    assert!(q.submit(&book("a")).unwrap());
    assert!(
        !q.submit(&book("a")).unwrap(),
        "the same id is not queued twice"
    );
    q.register("w1", "host", std::process::id()).unwrap();
    q.register("w2", "host", std::process::id()).unwrap();
    let taken = q.take("w1", LEASE).unwrap().expect("a book");
    assert_eq!((taken.id.as_str(), taken.attempt), ("a", 1));
    assert_eq!(taken.settings, ["--limit", "2"]);
    assert!(
        q.take("w2", LEASE).unwrap().is_none(),
        "held under a live lease"
    );
    assert!(q.heartbeat("a", "w1", 1).unwrap());
    assert!(q.end("a", "w1", 1, &End::Done).unwrap());
    assert_eq!(q.book("a").unwrap().unwrap().status, "done");
    assert!(
        q.take("w2", LEASE).unwrap().is_none(),
        "a done book is not taken"
    );
    assert!(!q.has_work().unwrap());
}

#[test]
fn a_worker_whose_lease_was_taken_over_cannot_renew_or_end_it() {
    let Some(q) = queue("queue_fence") else {
        return;
    };
    q.submit(&book("b")).unwrap();
    q.register("old", "host", std::process::id()).unwrap();
    q.register("new", "host", std::process::id()).unwrap();
    let first = q.take("old", LEASE).unwrap().unwrap();
    // A zero lease: the old holder's heartbeat is already too old.
    let second = q.take("new", Duration::ZERO).unwrap().expect("taken over");
    assert_eq!(second.attempt, first.attempt + 1);
    assert!(!q.heartbeat("b", "old", first.attempt).unwrap());
    assert!(!q.end("b", "old", first.attempt, &End::Done).unwrap());
    assert_eq!(q.book("b").unwrap().unwrap().worker.as_deref(), Some("new"));
    assert!(q.end("b", "new", second.attempt, &End::Released).unwrap());
    assert_eq!(q.book("b").unwrap().unwrap().status, "queued");
}

#[test]
fn a_book_that_keeps_failing_backs_off_then_is_dead_lettered() {
    let Some(q) = queue("queue_dead") else { return };
    q.submit(&book("c")).unwrap();
    q.register("w", "host", std::process::id()).unwrap();
    let fail = |backoff| End::Failed {
        reason: "boom".into(),
        backoff,
        max_attempts: 2,
    };
    let t = q.take("w", LEASE).unwrap().unwrap();
    assert!(
        q.end("c", "w", t.attempt, &fail(Duration::from_secs(3600)))
            .unwrap()
    );
    let waiting = q.book("c").unwrap().unwrap();
    assert_eq!((waiting.status.as_str(), waiting.failures), ("queued", 1));
    assert!(q.take("w", LEASE).unwrap().is_none(), "backing off");
    assert!(q.has_work().unwrap());
    assert!(
        !q.requeue("c").unwrap(),
        "only a dead or done book is requeued"
    );
    // Let the backoff pass.
    q.tx(async |tx| execute(tx, "UPDATE queue SET not_before = now()", &[], "test").await)
        .unwrap();
    let t = q.take("w", LEASE).unwrap().expect("after the backoff");
    assert!(q.end("c", "w", t.attempt, &fail(Duration::ZERO)).unwrap());
    let dead = q.book("c").unwrap().unwrap();
    assert_eq!((dead.status.as_str(), dead.failures), ("dead", 2));
    assert_eq!(dead.last_error.as_deref(), Some("boom"));
    assert!(
        q.take("w", LEASE).unwrap().is_none(),
        "a dead book is not taken"
    );
    assert!(!q.has_work().unwrap());
    assert!(q.requeue("c").unwrap());
    assert!(q.take("w", LEASE).unwrap().is_some(), "requeued by hand");
}

#[test]
fn a_book_held_by_a_worker_without_a_row_is_taken_over_at_once() {
    let Some(q) = queue("queue_gone") else { return };
    q.submit(&book("d")).unwrap();
    q.register("gone", "host", std::process::id()).unwrap();
    q.register("here", "host", std::process::id()).unwrap();
    q.take("gone", LEASE).unwrap().unwrap();
    q.retire("gone").unwrap();
    let t = q.take("here", LEASE).unwrap().expect("its worker retired");
    assert_eq!(t.attempt, 2);
    let workers: Vec<String> = q.workers().unwrap().into_iter().map(|w| w.worker).collect();
    assert_eq!(workers, ["here"]);
}

#[test]
fn a_listener_is_woken_when_a_book_is_queued_or_given_back() {
    let Some(q) = queue("queue_listen") else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut listener = q.listen().await.expect("listen");
        let limit = Duration::from_secs(10);
        q.submit(&book("e")).unwrap();
        let woken = tokio::time::timeout(limit, listener.notified())
            .await
            .expect("woken by the submission");
        assert!(woken.books.contains("e") && !woken.every_book, "{woken:?}");
        q.register("w", "host", std::process::id()).unwrap();
        let t = q.take("w", LEASE).unwrap().unwrap();
        q.end("e", "w", t.attempt, &End::Released).unwrap();
        tokio::time::timeout(limit, listener.notified())
            .await
            .expect("woken by the release");
        assert!(!listener.is_closed());
    });
}

#[test]
fn a_shared_budget_grants_one_request_per_interval_whoever_asks() {
    let Some(url) = new_database("queue_budget") else {
        return;
    };
    let q = Queue::open(&url).unwrap();
    // One a minute: the second request within the same minute must wait about a minute,
    // whichever worker (connection) asks.
    assert_eq!(
        q.take_token("image:x", 1).unwrap(),
        None,
        "the first is granted"
    );
    let other = Queue::open(&url).unwrap();
    let wait = other
        .take_token("image:x", 1)
        .unwrap()
        .expect("the second waits");
    assert!(wait > Duration::from_secs(50), "{wait:?}");
    assert!(
        q.take_token("image:x", 1).unwrap().is_some(),
        "still none left"
    );
    assert_eq!(
        q.take_token("text:x", 1).unwrap(),
        None,
        "budgets are separate"
    );
}
