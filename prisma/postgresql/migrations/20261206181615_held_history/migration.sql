-- CreateTable
CREATE TABLE "NodeSnapshotHistory" (
    "id" SERIAL NOT NULL,
    "host" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "digest" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL,

    CONSTRAINT "NodeSnapshotHistory_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HostAnalysisHistory" (
    "id" SERIAL NOT NULL,
    "host" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "digest" TEXT NOT NULL,
    "driftCount" INTEGER NOT NULL,
    "analysis" JSONB NOT NULL,

    CONSTRAINT "HostAnalysisHistory_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "NodeSnapshotHistory_host_receivedAt_idx" ON "NodeSnapshotHistory"("host", "receivedAt");

-- CreateIndex
CREATE INDEX "NodeSnapshotHistory_receivedAt_idx" ON "NodeSnapshotHistory"("receivedAt");

-- CreateIndex
CREATE INDEX "HostAnalysisHistory_host_at_idx" ON "HostAnalysisHistory"("host", "at");

-- CreateIndex
CREATE INDEX "HostAnalysisHistory_at_idx" ON "HostAnalysisHistory"("at");
