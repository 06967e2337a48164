-- CreateTable
CREATE TABLE "NodeState" (
    "host" TEXT NOT NULL,
    "takenAt" TIMESTAMP(3) NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "agentType" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL,

    CONSTRAINT "NodeState_pkey" PRIMARY KEY ("host")
);

-- CreateTable
CREATE TABLE "HostAnalysisState" (
    "host" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "driftCount" INTEGER NOT NULL,
    "analysis" JSONB NOT NULL,

    CONSTRAINT "HostAnalysisState_pkey" PRIMARY KEY ("host")
);

-- CreateTable
CREATE TABLE "Finding" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "vni" INTEGER,
    "hosts" JSONB NOT NULL,
    "detail" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "firstSeenAt" TIMESTAMP(3) NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "resolvedAt" TIMESTAMP(3),

    CONSTRAINT "Finding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BumState" (
    "host" TEXT NOT NULL,
    "from" TIMESTAMP(3) NOT NULL,
    "to" TIMESTAMP(3) NOT NULL,
    "report" JSONB NOT NULL,

    CONSTRAINT "BumState_pkey" PRIMARY KEY ("host")
);

-- CreateTable
CREATE TABLE "ConvergenceSample" (
    "id" SERIAL NOT NULL,
    "messageId" BIGINT NOT NULL,
    "host" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "vtep" TEXT NOT NULL,
    "mac" TEXT NOT NULL,
    "change" TEXT NOT NULL,
    "castAt" TIMESTAMP(3) NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL,
    "lagMs" INTEGER NOT NULL,

    CONSTRAINT "ConvergenceSample_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Finding_resolvedAt_idx" ON "Finding"("resolvedAt");

-- CreateIndex
CREATE INDEX "Finding_key_idx" ON "Finding"("key");

-- CreateIndex
CREATE INDEX "ConvergenceSample_host_seenAt_idx" ON "ConvergenceSample"("host", "seenAt");
