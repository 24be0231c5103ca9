-- Schema 6: more wake-ups (docs/scale-out.md, "helpers").
-- A wanted portrait wakes the idle workers, as a claimable chapter does (schema 5). A holder
-- wants its cast's portraits as soon as their cards are in, before any chapter is analyzed:
-- a helper waiting for work draws them at once instead of at the first chapter's wake-up.
CREATE TRIGGER portraits_wanted_notify
    AFTER INSERT ON portraits
    FOR EACH STATEMENT
    EXECUTE FUNCTION imaginize_chapter_claimable();

-- A chapter illustrated (or failed) tells the runs of its book waiting for it, on a channel of
-- its own with the book's id as payload: a holder whose last chapters a helper draws ends its
-- book when they are done, not at its next poll. Idle workers need not look at the queue for
-- it, nor the runs of other books wake.
CREATE FUNCTION imaginize_chapter_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('imaginize_chapters', NEW.book);
    RETURN NULL;
END
$$;

CREATE TRIGGER chapters_ended_notify
    AFTER UPDATE OF status ON chapters
    FOR EACH ROW
    WHEN (NEW.status IN ('illustration_complete', 'error')
          AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION imaginize_chapter_ended();
