-- Schema 2: the queue of books (`imaginize submit` / `worker`, docs/scale-out.md). `books`
-- (schema 1) is one book's state; a queued book's state is the `books` row whose id is the
-- queue entry's id.

-- A submitted book. `id` is the first 16 hex digits of the file's SHA-256, so submitting the
-- same book again finds the same entry (`--force` makes a new one). `settings` are the
-- submitted flags as arguments (`["--model", "x", …]`), never a key. A worker holds an entry
-- while `running`: `worker`, `heartbeat_at` (its lease) and `attempt`, the fencing token its
-- heartbeat and end must still match. `failures` count runs that ended in an error; after
-- `maxAttempts` the entry is `dead` (dead-lettered), before that it waits until `not_before`.
CREATE TABLE queue (
    id           text PRIMARY KEY,
    book_sha256  text NOT NULL,
    file_name    text NOT NULL,
    settings     jsonb NOT NULL DEFAULT '[]',
    status       text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'done', 'dead')),
    worker       text,
    heartbeat_at timestamptz,
    attempt      bigint NOT NULL DEFAULT 0,
    failures     bigint NOT NULL DEFAULT 0,
    not_before   timestamptz NOT NULL DEFAULT now(),
    last_error   text,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    CONSTRAINT held_exactly_while_running CHECK (
        (status = 'running') = (worker IS NOT NULL AND heartbeat_at IS NOT NULL))
);

-- A live `imaginize worker` process: a row from its start until it exits; its heartbeat
-- (every lease/4) tells `status` and other workers it is alive.
CREATE TABLE queue_workers (
    worker       text PRIMARY KEY,
    host         text NOT NULL,
    pid          bigint NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- Both are updated in place at every heartbeat: room for HOT updates, vacuumed early.
ALTER TABLE queue SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05);
ALTER TABLE queue_workers SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.05);
