-- AlterTable
ALTER TABLE "Network" ADD COLUMN "deletedAt" DATETIME;

-- CreateIndex
CREATE INDEX "Network_deletedAt_idx" ON "Network"("deletedAt");
