/** The toggle mutations' errors the UI acts on. */

/** Whether a tRPC error asks for the password again (`data.reason` `STEP_UP_REQUIRED`, packages/api step-up). */
export function isStepUpRequired(err: unknown): boolean {
  return (err as { data?: { reason?: unknown } } | null)?.data?.reason === 'STEP_UP_REQUIRED';
}

/** The message of an error, for a line in a dialog. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
