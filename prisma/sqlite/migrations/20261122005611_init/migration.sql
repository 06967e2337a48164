-- CreateTable
CREATE TABLE "Message" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "receivedAt" DATETIME NOT NULL,
    "exchange" TEXT NOT NULL,
    "routingKey" TEXT NOT NULL,
    "method" TEXT,
    "kind" TEXT NOT NULL,
    "target" TEXT,
    "ok" BOOLEAN NOT NULL,
    "errorReason" TEXT,
    "error" TEXT,
    "decoded" JSONB,
    "properties" JSONB NOT NULL,
    "raw" BLOB NOT NULL,
    "rawTruncated" BOOLEAN NOT NULL DEFAULT false,
    "size" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "search" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "MessageRef" (
    "messageId" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    PRIMARY KEY ("kind", "value", "messageId"),
    CONSTRAINT "MessageRef_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Host" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT,
    "vtep" TEXT,
    "agentType" TEXT,
    "binary" TEXT,
    "l2population" BOOLEAN,
    "arpResponder" BOOLEAN,
    "distributedRouting" BOOLEAN,
    "tunnelTypes" JSONB NOT NULL,
    "devices" INTEGER,
    "startedAt" DATETIME,
    "lastReportAt" DATETIME,
    "networks" JSONB NOT NULL
);

-- CreateTable
CREATE TABLE "Network" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "vni" INTEGER,
    "networkType" TEXT NOT NULL,
    "firstSeenAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "VtepEntries" (
    "networkId" TEXT NOT NULL,
    "vtep" TEXT NOT NULL,
    "flood" BOOLEAN NOT NULL,
    "macs" JSONB NOT NULL,
    "neigh" JSONB NOT NULL,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("networkId", "vtep")
);

-- CreateTable
CREATE TABLE "ModelChange" (
    "messageId" BIGINT NOT NULL,
    "idx" INTEGER NOT NULL,
    "at" DATETIME NOT NULL,
    "type" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,

    PRIMARY KEY ("messageId", "idx")
);

-- CreateTable
CREATE TABLE "TapGap" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "reason" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Counter" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" BIGINT NOT NULL
);

-- CreateTable
CREATE TABLE "ModelState" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "seq" BIGINT NOT NULL
);

-- CreateIndex
CREATE INDEX "Message_receivedAt_idx" ON "Message"("receivedAt");

-- CreateIndex
CREATE INDEX "Message_method_id_idx" ON "Message"("method", "id");

-- CreateIndex
CREATE INDEX "Message_ok_id_idx" ON "Message"("ok", "id");

-- CreateIndex
CREATE INDEX "MessageRef_messageId_idx" ON "MessageRef"("messageId");

-- CreateIndex
CREATE INDEX "Host_vtep_idx" ON "Host"("vtep");

-- CreateIndex
CREATE INDEX "Network_vni_idx" ON "Network"("vni");

-- CreateIndex
CREATE INDEX "VtepEntries_vtep_idx" ON "VtepEntries"("vtep");

-- CreateIndex
CREATE INDEX "ModelChange_type_key_idx" ON "ModelChange"("type", "key");
