-- CreateIndex
CREATE INDEX "ModelChange_key_messageId_idx" ON "ModelChange"("key", "messageId");

-- CreateIndex
CREATE INDEX "ModelChange_at_idx" ON "ModelChange"("at");
