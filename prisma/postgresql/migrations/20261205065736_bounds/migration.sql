-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "uniqueId" TEXT;

-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "expiredAt" TIMESTAMP(3);

-- CreateIndex
CREATE UNIQUE INDEX "Message_uniqueId_key" ON "Message"("uniqueId");

-- CreateIndex
CREATE INDEX "Host_expiredAt_idx" ON "Host"("expiredAt");

-- CreateIndex
CREATE INDEX "TapGap_endedAt_idx" ON "TapGap"("endedAt");

-- CreateIndex
CREATE INDEX "NodeState_receivedAt_idx" ON "NodeState"("receivedAt");

-- CreateIndex
CREATE INDEX "HostAnalysisState_at_idx" ON "HostAnalysisState"("at");

-- CreateIndex
CREATE INDEX "BumState_to_idx" ON "BumState"("to");

-- CreateIndex
CREATE INDEX "ConvergenceSample_seenAt_idx" ON "ConvergenceSample"("seenAt");
