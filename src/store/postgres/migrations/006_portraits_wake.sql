-- Schema 6: a wanted portrait wakes the idle workers, as a claimable chapter does (schema 5).
-- A holder wants its cast's portraits as soon as their cards are in, before any chapter is
-- analyzed: a helper waiting for work draws them at once instead of at the first chapter's
-- wake-up, and an idle worker may come to help with them.
CREATE TRIGGER portraits_wanted_notify
    AFTER INSERT ON portraits
    FOR EACH STATEMENT
    EXECUTE FUNCTION imaginize_chapter_claimable();
