-- Schema 7: a wake-up names its book. Every change on the queue's channel woke every helper
-- of every book, which then tried to claim in its own book; with the book's id as the
-- payload a worker wakes only its runs on that book (an empty payload still wakes all).
CREATE OR REPLACE FUNCTION imaginize_chapter_claimable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('imaginize_queue', NEW.book);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION imaginize_portrait_wanted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('imaginize_queue', NEW.book);
    RETURN NULL;
END
$$;
