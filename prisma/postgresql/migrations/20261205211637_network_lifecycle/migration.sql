-- AlterTable
ALTER TABLE "Network" ADD COLUMN     "deletedAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Network_deletedAt_idx" ON "Network"("deletedAt");
