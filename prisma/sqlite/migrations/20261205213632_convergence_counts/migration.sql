-- CreateTable
CREATE TABLE "HostConvergenceState" (
    "host" TEXT NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL,
    "pending" INTEGER NOT NULL,
    "timedOut" INTEGER NOT NULL,
    "alreadyHeld" INTEGER NOT NULL
);
