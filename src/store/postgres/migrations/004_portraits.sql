-- Schema 4: the cast's reference portraits (issue 16 part 3, docs/consistency.md), the
-- manifest's `portraits` as rows. One row per (book, slug): a portrait is asked for once, and
-- the key keeps it one row through every claim, redraw and record.

-- `status` is the portrait's life: wanted → drawing → done | failed (store::portraits). The
-- claim (`claim_worker`, `claimed_at`, `heartbeat_at`) is present exactly while `drawing`; its
-- expiry is `heartbeat_at` + the caller's lease, as for chapters. `claim_attempt` counts every
-- claim ever made on the portrait (a redraw or a take-over adds one). `image` is the picture
-- (relative to the output folder) once drawn; it stays through a redraw until replaced.
-- `error` says why the last drawing failed. The holder alone records, under the book's lock
-- (`transact`), so a portrait is recorded once per claim.
CREATE TABLE portraits (
    book          text NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    slug          text NOT NULL CHECK (slug <> ''),
    name          text NOT NULL,
    status        text NOT NULL DEFAULT 'wanted'
        CHECK (status IN ('wanted', 'drawing', 'done', 'failed')),
    claim_worker  text,
    claimed_at    timestamptz,
    heartbeat_at  timestamptz,
    claim_attempt bigint NOT NULL DEFAULT 0 CHECK (claim_attempt >= 0),
    image         text,
    error         text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (book, slug),
    CONSTRAINT portrait_claimed_exactly_while_drawing CHECK (
        (status = 'drawing')
        = (claim_worker IS NOT NULL AND claimed_at IS NOT NULL AND heartbeat_at IS NOT NULL)),
    CONSTRAINT a_done_portrait_has_its_image CHECK (status <> 'done' OR image IS NOT NULL),
    CONSTRAINT a_failed_portrait_says_why CHECK (status <> 'failed' OR error IS NOT NULL)
);

-- Updated in place at every claim, heartbeat (every lease/4 while drawing) and record, like
-- `chapters`: room in each page for HOT updates (the key is the only index, and no update
-- changes it), vacuumed after 5 % of the rows changed instead of 20 %.
ALTER TABLE portraits SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05,
                           autovacuum_analyze_scale_factor = 0.05);
