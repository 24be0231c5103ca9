-- Schema 5: waking idle workers to help with a held book (docs/scale-out.md, "helpers").
-- A helper illustrates a book another worker holds, from the cast its holder copies to the
-- artifacts as it writes it (a chapter is claimable only once its cast's cards are there, and
-- a helper brings the newest copy down before each picture). `cast_shared` says the holder
-- has copied Elements.md up: before that a helper would have no cast to start from.
ALTER TABLE queue ADD COLUMN cast_shared boolean NOT NULL DEFAULT false;

-- A chapter that becomes claimable (analyzed, or its illustration claim given back) wakes
-- the workers listening on the queue's channel: an idle worker may help with it at once,
-- instead of at its next slow poll, which on a short book comes after the book is done.
CREATE FUNCTION imaginize_chapter_claimable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('imaginize_queue', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER chapters_claimable_notify
    AFTER UPDATE OF status ON chapters
    FOR EACH ROW
    WHEN (NEW.status = 'analyzed' AND OLD.status IS DISTINCT FROM 'analyzed')
    EXECUTE FUNCTION imaginize_chapter_claimable();
