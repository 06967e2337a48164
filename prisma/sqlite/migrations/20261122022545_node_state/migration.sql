-- CreateTable
CREATE TABLE "NodeState" (
    "host" TEXT NOT NULL PRIMARY KEY,
    "takenAt" DATETIME NOT NULL,
    "receivedAt" DATETIME NOT NULL,
    "agentType" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL
);

-- CreateTable
CREATE TABLE "HostAnalysisState" (
    "host" TEXT NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL,
    "driftCount" INTEGER NOT NULL,
    "analysis" JSONB NOT NULL
);

-- CreateTable
CREATE TABLE "Finding" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "vni" INTEGER,
    "hosts" JSONB NOT NULL,
    "detail" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "firstSeenAt" DATETIME NOT NULL,
    "lastSeenAt" DATETIME NOT NULL,
    "resolvedAt" DATETIME
);

-- CreateTable
CREATE TABLE "BumState" (
    "host" TEXT NOT NULL PRIMARY KEY,
    "from" DATETIME NOT NULL,
    "to" DATETIME NOT NULL,
    "report" JSONB NOT NULL
);

-- CreateTable
CREATE TABLE "ConvergenceSample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "messageId" BIGINT NOT NULL,
    "host" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "vtep" TEXT NOT NULL,
    "mac" TEXT NOT NULL,
    "change" TEXT NOT NULL,
    "castAt" DATETIME NOT NULL,
    "seenAt" DATETIME NOT NULL,
    "lagMs" INTEGER NOT NULL
);

-- CreateIndex
CREATE INDEX "Finding_resolvedAt_idx" ON "Finding"("resolvedAt");

-- CreateIndex
CREATE INDEX "Finding_key_idx" ON "Finding"("key");

-- CreateIndex
CREATE INDEX "ConvergenceSample_host_seenAt_idx" ON "ConvergenceSample"("host", "seenAt");
