-- CreateIndex
CREATE INDEX "L3Agent_lastReportAt_idx" ON "L3Agent"("lastReportAt");
