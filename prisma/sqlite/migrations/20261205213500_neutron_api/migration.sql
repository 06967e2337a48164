-- CreateTable
CREATE TABLE "NeutronApiState" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "updatedAt" DATETIME NOT NULL,
    "names" JSONB,
    "status" JSONB NOT NULL
);
