-- CreateTable
CREATE TABLE "BumHistory" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "host" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL,
    "from" DATETIME NOT NULL,
    "to" DATETIME NOT NULL,
    "report" JSONB NOT NULL
);

-- CreateIndex
CREATE INDEX "BumHistory_host_receivedAt_idx" ON "BumHistory"("host", "receivedAt");

-- CreateIndex
CREATE INDEX "BumHistory_receivedAt_idx" ON "BumHistory"("receivedAt");
