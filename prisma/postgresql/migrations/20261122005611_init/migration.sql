-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Message" (
    "id" BIGINT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
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
    "raw" BYTEA NOT NULL,
    "rawTruncated" BOOLEAN NOT NULL DEFAULT false,
    "size" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "search" TEXT NOT NULL,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MessageRef" (
    "messageId" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "MessageRef_pkey" PRIMARY KEY ("kind","value","messageId")
);

-- CreateTable
CREATE TABLE "Host" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "vtep" TEXT,
    "agentType" TEXT,
    "binary" TEXT,
    "l2population" BOOLEAN,
    "arpResponder" BOOLEAN,
    "distributedRouting" BOOLEAN,
    "tunnelTypes" JSONB NOT NULL,
    "devices" INTEGER,
    "startedAt" TIMESTAMP(3),
    "lastReportAt" TIMESTAMP(3),
    "networks" JSONB NOT NULL,

    CONSTRAINT "Host_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Network" (
    "id" TEXT NOT NULL,
    "vni" INTEGER,
    "networkType" TEXT NOT NULL,
    "firstSeenAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Network_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VtepEntries" (
    "networkId" TEXT NOT NULL,
    "vtep" TEXT NOT NULL,
    "flood" BOOLEAN NOT NULL,
    "macs" JSONB NOT NULL,
    "neigh" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "VtepEntries_pkey" PRIMARY KEY ("networkId","vtep")
);

-- CreateTable
CREATE TABLE "ModelChange" (
    "messageId" BIGINT NOT NULL,
    "idx" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "type" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,

    CONSTRAINT "ModelChange_pkey" PRIMARY KEY ("messageId","idx")
);

-- CreateTable
CREATE TABLE "TapGap" (
    "id" SERIAL NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "reason" TEXT NOT NULL,

    CONSTRAINT "TapGap_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Counter" (
    "name" TEXT NOT NULL,
    "value" BIGINT NOT NULL,

    CONSTRAINT "Counter_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "ModelState" (
    "id" INTEGER NOT NULL,
    "seq" BIGINT NOT NULL,

    CONSTRAINT "ModelState_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "MessageRef" ADD CONSTRAINT "MessageRef_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;
