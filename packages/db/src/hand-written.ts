/**
 * Database objects the migrations create by hand, outside prisma/models.prisma (Prisma's models
 * cannot say them), and that the schema engine must therefore leave alone when it compares a live
 * database with the models (`databaseDrift`).
 *
 * - SQLite: the FTS5 trigram table of the inspector's free-text filter over `Message.search`
 *   (prisma/sqlite/migrations/20261207120054_message_search_fts), its shadow tables, and the
 *   triggers that keep it in step with `Message` (the engine does not describe triggers).
 * - PostgreSQL: the GIN `gin_trgm_ops` index on `Message.search` (20261206051309_inspector_filters);
 *   the engine cannot describe a live PostgreSQL schema here at all (see `databaseDrift`).
 */

/** SQLite: the FTS5 table (trigram tokenizer, external content `Message`, rowid = `Message.id`). */
export const MESSAGE_SEARCH_FTS = 'Message_search_fts';

/**
 * SQLite: every table that {@link MESSAGE_SEARCH_FTS} puts in `sqlite_master`: the virtual table
 * and the shadow tables FTS5 keeps its index in (`columnsize=0`: no `_docsize`; external content:
 * no `_content`).
 */
export const SQLITE_HAND_WRITTEN_TABLES: readonly string[] = [MESSAGE_SEARCH_FTS, ...['config', 'data', 'idx'].map((s) => `${MESSAGE_SEARCH_FTS}_${s}`)];

/** SQLite: the triggers on `Message` that insert into and delete from {@link MESSAGE_SEARCH_FTS}. */
export const SQLITE_HAND_WRITTEN_TRIGGERS: readonly string[] = ['insert', 'delete', 'update'].map((s) => `${MESSAGE_SEARCH_FTS}_${s}`);
