-- CreateTable
CREATE TABLE "ToggleJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host" TEXT NOT NULL,
    "batchId" TEXT,
    "batchIndex" INTEGER NOT NULL DEFAULT 0,
    "change" JSONB NOT NULL,
    "inPlace" BOOLEAN NOT NULL DEFAULT false,
    "state" TEXT NOT NULL,
    "before" JSONB,
    "plan" JSONB,
    "steps" JSONB NOT NULL,
    "evidence" JSONB NOT NULL,
    "error" TEXT,
    "requestedBy" TEXT NOT NULL,
    "approvedBy" TEXT,
    "origin" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "AuditEntry" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "jobId" TEXT,
    "detail" JSONB,
    "origin" TEXT,
    "prevHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "ToggleJob_host_createdAt_idx" ON "ToggleJob"("host", "createdAt");

-- CreateIndex
CREATE INDEX "ToggleJob_state_idx" ON "ToggleJob"("state");

-- CreateIndex
CREATE INDEX "ToggleJob_batchId_idx" ON "ToggleJob"("batchId");

-- CreateIndex
CREATE INDEX "AuditEntry_jobId_idx" ON "AuditEntry"("jobId");

-- CreateIndex
CREATE INDEX "AuditEntry_at_idx" ON "AuditEntry"("at");
