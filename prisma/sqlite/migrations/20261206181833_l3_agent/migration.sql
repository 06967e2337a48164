-- CreateTable
CREATE TABLE "L3Agent" (
    "host" TEXT NOT NULL PRIMARY KEY,
    "binary" TEXT NOT NULL,
    "agentMode" TEXT,
    "startedAt" DATETIME,
    "lastReportAt" DATETIME NOT NULL
);
