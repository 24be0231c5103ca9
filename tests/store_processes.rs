//! The store across real processes: no lost update under contention, claims taken exactly once,
//! a `kill -9`ed lock holder never blocks anyone, a writer killed at any instant leaves the old or
//! the new manifest, and leases are recovered exactly when they should be.
//!
//! The children are this test binary run again (`current_exe()`), executing only the `child` test
//! with `IMAGINIZE_STORE_CHILD=<role>:<dir>[:<arg>]`; without that variable `child` does nothing.
//! Children talk to the parent through lines starting with `@@` on stdout.

use chrono::{Duration as Span, Utc};
use imaginize::ids::{ChapterKey, ChapterNo};
use imaginize::provider::Usage;
use imaginize::store::{
    BookMeta, DEFAULT_LEASE, Error, Expiry, FileLock, LOCK_FILE, Manifest, Status, Store, WorkerId,
};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "IMAGINIZE_STORE_CHILD";

/// The entry point of every child process; a no-op in a normal test run.
#[test]
fn child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, ':');
    let role = parts.next().unwrap();
    let dir = Path::new(parts.next().unwrap());
    let arg = parts.next().unwrap_or("");
    // A child never outlives a stuck parent by more than a minute.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(60));
        std::process::exit(3);
    });
    let store = Store::open(dir).unwrap();
    match role {
        "counter" => {
            // `<me>,<updates>`: bump my chapter and the shared chapter 0 in each update.
            let (me, updates) = arg.split_once(',').unwrap();
            let me = ChapterNo(me.parse().unwrap());
            for _ in 0..updates.parse::<u32>().unwrap() {
                store
                    .update_with_lock(|m| {
                        let one = Usage {
                            prompt_tokens: 1,
                            ..Usage::default()
                        };
                        m.add_usage(me, one)?;
                        m.add_usage(ChapterNo(SHARED), one)
                    })
                    .unwrap();
            }
            say("done");
        }
        "claimer" => {
            let worker = WorkerId::current();
            loop {
                let got = store
                    .update_with_lock(|m| m.claim_next(&worker, DEFAULT_LEASE, Utc::now()))
                    .unwrap();
                match got {
                    Some(chapter) => say(&format!("claimed {chapter}")),
                    None => break,
                }
            }
            say("done");
            // Stay alive (so the claims stay live) until the parent closes stdin.
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        }
        "holder" => {
            let _lock = FileLock::acquire(&dir.join(LOCK_FILE), Duration::from_secs(5)).unwrap();
            say("locked");
            std::thread::sleep(Duration::from_secs(60));
        }
        "writer" => {
            say("ready");
            store
                .update_with_lock(|m| {
                    m.add_usage(
                        ChapterNo(1),
                        Usage {
                            prompt_tokens: 1,
                            ..Usage::default()
                        },
                    )
                })
                .unwrap();
            say("wrote");
        }
        "claim-and-wait" => {
            // Claims the first chapter; with arg `heartbeat` renews the lease every 50 ms.
            let worker = WorkerId::current();
            let chapter = store
                .update_with_lock(|m| m.claim_next(&worker, DEFAULT_LEASE, Utc::now()))
                .unwrap()
                .unwrap();
            say(&format!("claimed {chapter}"));
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
                if arg == "heartbeat" {
                    store
                        .update_with_lock(|m| m.heartbeat(chapter, &worker, Utc::now()))
                        .unwrap();
                }
            }
        }
        "claim-and-exit" => {
            let worker = WorkerId::current();
            store
                .update_with_lock(|m| m.claim_next(&worker, DEFAULT_LEASE, Utc::now()))
                .unwrap()
                .unwrap();
            say("claimed");
        }
        other => panic!("unknown child role {other}"),
    }
}

/// The chapter every counter process bumps (besides its own).
const SHARED: u32 = 11;

fn say(line: &str) {
    println!("@@{line}");
}

/// A child process that is killed if the test ends (or panics) before it exits.
struct Kid(Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Kid {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Kid {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

fn spawn(role: &str, dir: &Path, arg: &str, env: &[(&str, &str)]) -> (Kid, BufReader<ChildStdout>) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{role}:{}:{arg}", dir.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    (Kid(child), out)
}

/// Reads the child's `@@` lines until one equals `until`; returns those before it.
fn read_until(out: &mut BufReader<ChildStdout>, until: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "child ended before `{until}`"
        );
        // The harness may print `test child ... ` just before our first line.
        if let Some((_, msg)) = line.trim_end().split_once("@@") {
            if msg == until {
                return lines;
            }
            lines.push(msg.to_string());
        }
    }
}

fn new_book(dir: &Path, chapters: u32, analyzed: bool) -> Store {
    let store = Store::open(dir).unwrap();
    let list: Vec<_> = (1..=chapters)
        .map(|i| {
            (
                ChapterNo(i),
                ChapterKey(format!("k{i}")),
                format!("Chapter {i}"),
            )
        })
        .collect();
    store
        .update_with_lock(|m| {
            m.set_initial(Manifest::new("book", BookMeta::default(), &list));
            if analyzed {
                for i in 1..=chapters {
                    m.mark_analyzed(ChapterNo(i), 1, Utc::now())?;
                }
            }
            Ok::<_, Error>(())
        })
        .unwrap();
    store
}

fn read_manifest(store: &Store) -> Manifest {
    let bytes = std::fs::read(store.manifest_path()).unwrap();
    let m: Manifest = serde_json::from_slice(&bytes).expect("the manifest always parses");
    m.validate().unwrap();
    m
}

#[test]
fn ten_processes_times_200_updates_lose_nothing_and_the_file_always_parses() {
    const PROCS: u32 = 10;
    const UPDATES: u32 = 200;
    let dir = tempfile::tempdir().unwrap();
    let store = new_book(dir.path(), SHARED, false);
    let start = Instant::now();
    let mut children: Vec<_> = (1..=PROCS)
        .map(|me| spawn("counter", dir.path(), &format!("{me},{UPDATES}"), &[]))
        .collect();
    // Read the manifest as fast as we can while they write: every read is a whole version.
    let mut reads = 0;
    let mut last_shared = 0;
    while children
        .iter_mut()
        .any(|(c, _)| c.try_wait().unwrap().is_none())
    {
        let m = read_manifest(&store);
        let shared = m.chapters[&ChapterNo(SHARED)].usage.prompt_tokens;
        assert!(shared >= last_shared, "the shared counter never goes back");
        last_shared = shared;
        reads += 1;
        // Leave the (two) cores to the writers.
        std::thread::sleep(Duration::from_millis(1));
    }
    for (child, out) in &mut children {
        read_until(out, "done");
        assert!(child.wait().unwrap().success());
    }
    let elapsed = start.elapsed();
    let m = read_manifest(&store);
    for me in 1..=PROCS {
        assert_eq!(
            m.chapters[&ChapterNo(me)].usage.prompt_tokens,
            u64::from(UPDATES)
        );
    }
    assert_eq!(
        m.chapters[&ChapterNo(SHARED)].usage.prompt_tokens,
        u64::from(PROCS * UPDATES)
    );
    eprintln!(
        "{} updates by {PROCS} processes in {elapsed:.2?} ({reads} concurrent reads, all whole)",
        PROCS * UPDATES
    );
    assert!(reads > 0);
}

#[test]
fn ten_processes_claim_fifty_chapters_each_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_book(dir.path(), 50, true);
    let mut children: Vec<_> = (0..10)
        .map(|_| spawn("claimer", dir.path(), "", &[]))
        .collect();
    let mut claimed: BTreeMap<u32, usize> = BTreeMap::new();
    let mut by_child = Vec::new();
    for (_, out) in children.iter_mut() {
        let lines = read_until(out, "done");
        by_child.push(lines.len());
        for line in lines {
            let n: u32 = line.strip_prefix("claimed ").unwrap().parse().unwrap();
            *claimed.entry(n).or_default() += 1;
        }
    }
    // Every child is still alive here, so every claim is live.
    let m = read_manifest(&store);
    for (child, _) in &mut children {
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(claimed.len(), 50, "{claimed:?}");
    assert!(claimed.values().all(|&n| n == 1), "{claimed:?}");
    assert_eq!(m.chapters_with(Status::IllustrationInprogress).len(), 50);
    eprintln!("claims per process: {by_child:?}");
}

#[test]
fn a_kill_9_lock_holder_frees_the_lock_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(LOCK_FILE);
    let (mut child, mut out) = spawn("holder", dir.path(), "", &[]);
    read_until(&mut out, "locked");
    assert!(
        FileLock::try_acquire(&path).unwrap().is_none(),
        "the child holds it"
    );
    let err = FileLock::acquire(&path, Duration::from_millis(50)).unwrap_err();
    assert!(
        err.to_string().contains(&format!("pid {}", child.id())),
        "{err}"
    );
    let killed = Instant::now();
    child.kill().unwrap(); // SIGKILL
    let lock = FileLock::acquire(&path, Duration::from_secs(5)).unwrap();
    let waited = killed.elapsed();
    child.wait().unwrap();
    drop(lock);
    eprintln!("lock acquired {waited:.2?} after kill -9");
    assert!(waited < Duration::from_secs(1), "{waited:?}");
}

#[test]
fn a_writer_killed_at_random_instants_leaves_the_old_or_the_new_manifest() {
    const ITERATIONS: usize = 120;
    let dir = tempfile::tempdir().unwrap();
    let store = new_book(dir.path(), 3, false);
    let mut old = std::fs::read(store.manifest_path()).unwrap();
    let mut counter = 0u64;
    let (mut kept_old, mut got_new) = (0, 0);
    for iteration in 0..ITERATIONS {
        // 2 ms in the middle of the temp write and 2 ms before the rename widen the window.
        let (mut child, mut out) = spawn(
            "writer",
            dir.path(),
            "",
            &[("IMAGINIZE_TEST_WRITE_DELAY_US", "2000")],
        );
        read_until(&mut out, "ready");
        if iteration % 4 == 3 {
            // Every fourth child is killed only after its write, so both outcomes always occur
            // however slow the machine is.
            read_until(&mut out, "wrote");
        } else {
            std::thread::sleep(Duration::from_micros(fastrand::u64(0..9000)));
        }
        child.kill().unwrap();
        child.wait().unwrap();

        let bytes = std::fs::read(store.manifest_path()).unwrap();
        let m: Manifest = serde_json::from_slice(&bytes).expect("whole version after kill -9");
        let now = m.chapters[&ChapterNo(1)].usage.prompt_tokens;
        if bytes == old {
            kept_old += 1;
        } else {
            assert_eq!(now, counter + 1, "the new version, and only one step newer");
            got_new += 1;
        }
        counter = now;
        old = bytes;
        // The backup always parses too, and the next start removes the dead writer's temp file.
        let bak = dir.path().join(".imaginize.manifest.json.bak");
        if bak.exists() {
            serde_json::from_slice::<Manifest>(&std::fs::read(&bak).unwrap()).unwrap();
        }
        Store::open(dir.path()).unwrap();
        let strays = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".tmp-")
            })
            .count();
        assert_eq!(strays, 0);
    }
    eprintln!("{ITERATIONS} kills: {kept_old} left the old version, {got_new} the new one");
    assert!(
        kept_old > 0 && got_new > 0,
        "kills landed on both sides of the rename"
    );
}

#[test]
fn a_claim_whose_heartbeat_stopped_is_recovered_after_the_lease_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_book(dir.path(), 1, true);
    let (mut child, mut out) = spawn("claim-and-wait", dir.path(), "", &[]);
    read_until(&mut out, "claimed 1");
    let me = WorkerId::current();
    let now = Utc::now();
    let mut m = store.lock(Duration::from_secs(5)).unwrap();
    // The child is alive and within its lease: never taken.
    assert_eq!(m.claim_next(&me, DEFAULT_LEASE, now).unwrap(), None);
    assert!(
        m.recover_expired(DEFAULT_LEASE, now + Span::seconds(59))
            .unwrap()
            .is_empty()
    );
    // Past the lease without a heartbeat: taken, although the process still lives.
    let later = now + Span::seconds(61);
    assert_eq!(
        m.recover_expired(DEFAULT_LEASE, later).unwrap(),
        vec![(ChapterNo(1), Expiry::LeaseExpired)]
    );
    assert_eq!(
        m.claim_next(&me, DEFAULT_LEASE, later).unwrap(),
        Some(ChapterNo(1))
    );
    drop(m);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_live_claim_is_never_stolen_and_a_dead_pids_claim_is_recovered_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_book(dir.path(), 1, true);
    let (mut child, mut out) = spawn("claim-and-wait", dir.path(), "heartbeat", &[]);
    read_until(&mut out, "claimed 1");
    let me = WorkerId::current();
    let until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < until {
        let got = store
            .update_with_lock(|m| m.claim_next(&me, DEFAULT_LEASE, Utc::now()))
            .unwrap();
        assert_eq!(got, None, "a live, heartbeating claim is never stolen");
        std::thread::sleep(Duration::from_millis(20));
    }
    let beat = read_manifest(&store).chapters[&ChapterNo(1)]
        .claim
        .clone()
        .unwrap();
    assert!(beat.heartbeat_at > beat.claimed_at, "the child heartbeats");

    child.kill().unwrap();
    child.wait().unwrap();
    let mut m = store.lock(Duration::from_secs(5)).unwrap();
    assert_eq!(
        m.recover_expired(DEFAULT_LEASE, Utc::now()).unwrap(),
        vec![(ChapterNo(1), Expiry::DeadWorker)]
    );
    assert_eq!(
        m.claim_next(&me, DEFAULT_LEASE, Utc::now()).unwrap(),
        Some(ChapterNo(1))
    );
}

#[test]
fn a_claim_by_a_process_that_exited_is_claimable_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_book(dir.path(), 1, true);
    let (mut child, mut out) = spawn("claim-and-exit", dir.path(), "", &[]);
    read_until(&mut out, "claimed");
    assert!(child.wait().unwrap().success());
    let me = WorkerId::current();
    let got = store
        .update_with_lock(|m| m.claim_next(&me, DEFAULT_LEASE, Utc::now()))
        .unwrap();
    assert_eq!(got, Some(ChapterNo(1)));
}
