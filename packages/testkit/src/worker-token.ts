/**
 * The worker's shared secret in tests: each suite starts its worker with a fresh token
 * (`L2SCOPE_WORKER_TOKEN`, or `startWorker({ token })`) and reads `/api/*` with it.
 */
import { randomBytes } from 'node:crypto';

/** A fresh random token (32 bytes, base64url) for one test's worker. */
export function createWorkerToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The request headers that authorize a call to the worker's `/api/*` with `token`. */
export function workerAuthHeaders(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
