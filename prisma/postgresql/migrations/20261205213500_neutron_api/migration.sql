-- CreateTable
CREATE TABLE "NeutronApiState" (
    "id" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "names" JSONB,
    "status" JSONB NOT NULL,

    CONSTRAINT "NeutronApiState_pkey" PRIMARY KEY ("id")
);
