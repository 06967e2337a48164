-- CreateIndex
CREATE INDEX "Message_kind_id_idx" ON "Message"("kind", "id");

-- The inspector's free-text filter (`search LIKE '%…%'`) on a GIN trigram index: hand-written,
-- Prisma's models cannot say it for one provider only (packages/db/src/repositories/message-query.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "Message_search_trgm_idx" ON "Message" USING GIN ("search" gin_trgm_ops);
