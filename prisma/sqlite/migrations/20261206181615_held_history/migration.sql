-- CreateTable
CREATE TABLE "NodeSnapshotHistory" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "host" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL,
    "digest" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL
);

-- CreateTable
CREATE TABLE "HostAnalysisHistory" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "host" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "digest" TEXT NOT NULL,
    "driftCount" INTEGER NOT NULL,
    "analysis" JSONB NOT NULL
);

-- CreateIndex
CREATE INDEX "NodeSnapshotHistory_host_receivedAt_idx" ON "NodeSnapshotHistory"("host", "receivedAt");

-- CreateIndex
CREATE INDEX "NodeSnapshotHistory_receivedAt_idx" ON "NodeSnapshotHistory"("receivedAt");

-- CreateIndex
CREATE INDEX "HostAnalysisHistory_host_at_idx" ON "HostAnalysisHistory"("host", "at");

-- CreateIndex
CREATE INDEX "HostAnalysisHistory_at_idx" ON "HostAnalysisHistory"("at");
