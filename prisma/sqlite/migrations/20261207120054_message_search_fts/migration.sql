-- The inspector's free-text filter on SQLite: an FTS5 trigram index over Message.search, the
-- counterpart of PostgreSQL's GIN gin_trgm_ops index (20261206051309_inspector_filters).
-- Hand-written: Prisma's models cannot say a virtual table. The drift check leaves this table
-- and its shadow tables (_config, _data, _idx) alone (packages/db/src/hand-written.ts);
-- packages/db/src/repositories/message-query.ts queries it (MATCH on a quoted string, 3+ characters).
--
-- External content (the text stays in Message only), rowid = Message.id, no per-row sizes
-- (columnsize=0: no ranking here), trigrams kept as they are (case_sensitive 1: `search` is
-- lower case already and so is the query, so a match is exactly PostgreSQL's LIKE '%…%').
-- Kept in step by the triggers below, so every writer of Message (the worker's batched INSERT,
-- retention's DELETE) needs no change.
CREATE VIRTUAL TABLE "Message_search_fts" USING fts5("search", content='Message', content_rowid='id', columnsize=0, tokenize='trigram case_sensitive 1');

-- A database migrated before this one: index what it already holds.
INSERT INTO "Message_search_fts"("Message_search_fts") VALUES ('rebuild');

CREATE TRIGGER "Message_search_fts_insert" AFTER INSERT ON "Message" BEGIN
  INSERT INTO "Message_search_fts"(rowid, "search") VALUES (new."id", new."search");
END;

CREATE TRIGGER "Message_search_fts_delete" AFTER DELETE ON "Message" BEGIN
  INSERT INTO "Message_search_fts"("Message_search_fts", rowid, "search") VALUES ('delete', old."id", old."search");
END;

CREATE TRIGGER "Message_search_fts_update" AFTER UPDATE OF "id", "search" ON "Message" BEGIN
  INSERT INTO "Message_search_fts"("Message_search_fts", rowid, "search") VALUES ('delete', old."id", old."search");
  INSERT INTO "Message_search_fts"(rowid, "search") VALUES (new."id", new."search");
END;
