-- CreateTable
CREATE TABLE "HostConvergenceState" (
    "host" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "pending" INTEGER NOT NULL,
    "timedOut" INTEGER NOT NULL,
    "alreadyHeld" INTEGER NOT NULL,

    CONSTRAINT "HostConvergenceState_pkey" PRIMARY KEY ("host")
);
