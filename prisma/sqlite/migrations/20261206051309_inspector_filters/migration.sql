-- CreateIndex
CREATE INDEX "Message_kind_id_idx" ON "Message"("kind", "id");
