-- Schema 6: a portrait asked for (or asked for again) wakes the workers listening on the
-- queue's channel, as a claimable chapter does (schema 5). A helper that joined a book before
-- its cast's portraits were wanted would otherwise wait for the next chapter to be analyzed
-- before drawing them, while its image slots idle at the start of the book.
CREATE FUNCTION imaginize_portrait_wanted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('imaginize_queue', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER portraits_wanted_notify
    AFTER INSERT OR UPDATE OF status ON portraits
    FOR EACH ROW
    WHEN (NEW.status = 'wanted')
    EXECUTE FUNCTION imaginize_portrait_wanted();
