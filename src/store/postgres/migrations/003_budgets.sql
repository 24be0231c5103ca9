-- Schema 3: request budgets shared by every worker (config `rpm`, `imageRpm`). One token bucket
-- per budget: `tokens` as of `updated_at`, refilled at `per_sec` up to `capacity`. A request
-- starts only with a token, taken in one short transaction on the row (docs/scale-out.md).
CREATE TABLE budgets (
    name       text PRIMARY KEY,
    capacity   double precision NOT NULL CHECK (capacity >= 1),
    per_sec    double precision NOT NULL CHECK (per_sec > 0),
    tokens     double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Updated at every request: room for HOT updates, vacuumed early.
ALTER TABLE budgets SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.05);
