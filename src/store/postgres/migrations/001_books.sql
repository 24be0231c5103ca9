-- Schema 1 of the PostgreSQL store: one book's state as rows (docs/scale-out.md).

-- A book: what the manifest's top level holds. `id` is the store's key for the book (one
-- database serves many books); `book_id` is the manifest's own field, kept as it was given.
-- The book-level flags (analyze_complete, illustrate_complete) are not stored: they follow
-- from the chapters and are computed when the state is read, as every commit does.
CREATE TABLE books (
    id                 text PRIMARY KEY,
    book_id            text NOT NULL,
    version            text NOT NULL,
    title              text NOT NULL DEFAULT '',
    author             text NOT NULL DEFAULT '',
    file               text NOT NULL DEFAULT '',
    sha256             text NOT NULL DEFAULT '',
    path               text NOT NULL DEFAULT '',
    elements_md_status text NOT NULL DEFAULT 'pending'
        CHECK (elements_md_status IN ('pending', 'inprogress', 'complete', 'error')),
    last_updated       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- A chapter and its claim. `claim_attempt` counts every claim ever made on the chapter: the
-- fencing token a holder's heartbeat, release and completion must still match. `attempts` is
-- the manifest's count of failures.
CREATE TABLE chapters (
    book           text NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    number         bigint NOT NULL CHECK (number >= 0),
    key            text NOT NULL,
    title          text NOT NULL,
    status         text NOT NULL CHECK (status IN ('pending', 'analyzed',
                       'illustration_inprogress', 'illustration_complete', 'error')),
    analyzed_at    timestamptz,
    illustrated_at timestamptz,
    concepts       bigint NOT NULL DEFAULT 0,
    claim_worker   text,
    claimed_at     timestamptz,
    heartbeat_at   timestamptz,
    claim_attempt  bigint NOT NULL DEFAULT 0,
    attempts       bigint NOT NULL DEFAULT 0,
    error          text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (book, number),
    CONSTRAINT claimed_exactly_while_in_progress CHECK (
        (status = 'illustration_inprogress')
        = (claim_worker IS NOT NULL AND claimed_at IS NOT NULL AND heartbeat_at IS NOT NULL))
);

-- A finished scene: drawn (its image path when the recorder gave one) or refused. The key
-- makes a scene recorded once.
CREATE TABLE scenes (
    book        text NOT NULL,
    chapter     bigint NOT NULL,
    scene       bigint NOT NULL CHECK (scene >= 0),
    image       text,
    rejected    text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (book, chapter, scene),
    FOREIGN KEY (book, chapter) REFERENCES chapters (book, number) ON DELETE CASCADE
);

-- What the calls of a chapter cost.
CREATE TABLE usage (
    book              text NOT NULL,
    chapter           bigint NOT NULL,
    prompt_tokens     bigint NOT NULL DEFAULT 0,
    completion_tokens bigint NOT NULL DEFAULT 0,
    images            bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (book, chapter),
    FOREIGN KEY (book, chapter) REFERENCES chapters (book, number) ON DELETE CASCADE
);

-- Live workers of a book: a row from registration until the worker retires or its guard is
-- dropped. A claim whose worker has no row is taken over at once; a row left by a killed
-- process goes when a worker registers on its host and finds its pid gone, else the claim's
-- lease decides. No foreign key: a worker may register
-- before the book's first transaction.
CREATE TABLE workers (
    book          text NOT NULL,
    worker_id     text NOT NULL,
    host          text NOT NULL,
    pid           bigint,
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (book, worker_id)
);

-- The hot rows are updated in place many times (claim, heartbeat every lease/4, scene,
-- completion). Room left in each page lets those updates be HOT (no index touched, no new
-- index entry to vacuum), and no index covers a column they change. Vacuum runs after 5 % of
-- the rows changed instead of 20 %, so dead versions do not pile up in a long run.
ALTER TABLE chapters SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05,
                          autovacuum_analyze_scale_factor = 0.05);
ALTER TABLE usage SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05);
