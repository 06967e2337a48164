-- CreateTable
CREATE TABLE "L3Agent" (
    "host" TEXT NOT NULL,
    "binary" TEXT NOT NULL,
    "agentMode" TEXT,
    "startedAt" TIMESTAMP(3),
    "lastReportAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "L3Agent_pkey" PRIMARY KEY ("host")
);
