/**
 * What the worker publishes of Neutron's API (stored as one row, read by the dashboard): the
 * poller's status and the last names. The zod schemas check a stored row on the way back.
 */
import { z } from 'zod';
import type { NeutronNames } from './enrich';

/** The poller's state, as `/api/neutron` and the dashboard show it. Times are ISO-8601. */
export interface NeutronApiStatus {
  /** The Neutron endpoint polled (no credentials in it), null until resolved. */
  endpoint: string | null;
  /** `noauth` (a given endpoint), `password` or `v3applicationcredential` (Keystone v3). */
  auth: 'noauth' | 'password' | 'v3applicationcredential';
  /** Polling interval (ms) when healthy. */
  intervalMs: number;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  /** The last error's message (never a secret: bodies and headers are not quoted). */
  lastError: string | null;
  /** Failures since the last success (the backoff's exponent). */
  consecutiveFailures: number;
  nextPollAt: string | null;
  /** Sizes of the last successful fetch. */
  counts: { ports: number; networks: number; agents: number; projects: number; skipped: number };
}

/** The stored row: status and the last names (null before the first successful fetch). */
export interface NeutronApiView {
  status: NeutronApiStatus;
  names: NeutronNames | null;
}

const s = z.string();
const ns = z.string().nullable();

/** Schema of {@link NeutronApiStatus}. */
export const neutronApiStatusSchema: z.ZodType<NeutronApiStatus> = z.object({
  endpoint: ns,
  auth: z.enum(['noauth', 'password', 'v3applicationcredential']),
  intervalMs: z.number(),
  lastSuccessAt: ns,
  lastErrorAt: ns,
  lastError: ns,
  consecutiveFailures: z.number().int(),
  nextPollAt: ns,
  counts: z.object({ ports: z.number(), networks: z.number(), agents: z.number(), projects: z.number(), skipped: z.number() }),
});

/** Schema of {@link NeutronNames}. */
export const neutronNamesSchema: z.ZodType<NeutronNames> = z.object({
  fetchedAt: z.number(),
  ports: z.array(
    z.object({
      portId: s,
      name: s,
      mac: s,
      networkId: s,
      networkName: ns,
      deviceId: s,
      deviceOwner: s,
      projectId: ns,
      projectName: ns,
      status: s,
      host: ns,
      ips: z.array(s),
      announced: z.boolean(),
    }),
  ),
  networks: z.array(z.object({ id: s, name: s, projectId: ns, projectName: ns, networkType: ns, segmentationId: z.number().nullable() })),
  agents: z.array(z.object({ host: s, agentType: s, alive: z.boolean(), adminStateUp: z.boolean(), l2population: z.boolean().nullable(), tunnelingIp: ns })),
});

/** Schema of {@link NeutronApiView}. */
export const neutronApiViewSchema: z.ZodType<NeutronApiView> = z.object({ status: neutronApiStatusSchema, names: neutronNamesSchema.nullable() });
