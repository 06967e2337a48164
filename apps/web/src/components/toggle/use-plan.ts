'use client';
/** Plan a toggle and open its dialog: the `toggle.plan` mutation, its jobs folded into the store. */
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useSync } from '@/hooks/use-sync';
import { useTRPC } from '@/lib/trpc';

/** The dialog to show: the jobs of one plan (and their batch when several). */
export interface OpenPlan {
  jobIds: string[];
  batchId: string | null;
}

/** The plan mutation and the dialog it opens (`open` also re-opens an existing job's dialog). */
export function usePlan() {
  const trpc = useTRPC();
  const sync = useSync();
  const [dialog, setDialog] = useState<OpenPlan | null>(null);
  const plan = useMutation(
    trpc.toggle.plan.mutationOptions({
      onSuccess: (jobs) => {
        sync?.upsertJobs(jobs);
        setDialog({ jobIds: jobs.map((j) => j.id), batchId: jobs[0]?.batchId ?? null });
      },
    }),
  );
  return { plan, dialog, open: setDialog, close: () => setDialog(null) };
}
