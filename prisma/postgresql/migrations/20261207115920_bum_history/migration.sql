-- CreateTable
CREATE TABLE "BumHistory" (
    "id" SERIAL NOT NULL,
    "host" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "from" TIMESTAMP(3) NOT NULL,
    "to" TIMESTAMP(3) NOT NULL,
    "report" JSONB NOT NULL,

    CONSTRAINT "BumHistory_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "BumHistory_host_receivedAt_idx" ON "BumHistory"("host", "receivedAt");

-- CreateIndex
CREATE INDEX "BumHistory_receivedAt_idx" ON "BumHistory"("receivedAt");
