#!/usr/bin/env node
// @ts-check
/**
 * Health probe of the node agent image (the agent has no HTTP port). The agent, started with
 * `--status-file` (or env L2SCOPE_AGENT_STATUS_FILE), rewrites a small JSON file
 * (`l2scope.agent-status/1`, apps/agent/src/status.ts) after every publish the broker confirmed.
 * This probe exits 0 only when that file exists, parses, and its `lastConfirmedAt` (the newest
 * broker-confirmed snapshot) is younger than the threshold; 1 otherwise (missing, unreadable,
 * never confirmed, stale, bad threshold). It prints one line saying why.
 *
 *   node docker/agent-healthcheck.mjs <status file env var> <max age env var> [<default max age s>]
 *   node docker/agent-healthcheck.mjs L2SCOPE_AGENT_STATUS_FILE L2SCOPE_AGENT_STALE_AFTER_S 90
 *
 * Both the file and the threshold are read from the named environment variables, so the probe
 * follows what the image (or `docker run -e`) sets for the agent. The threshold (seconds) is the
 * variable's value, or 3 x the agent's full-snapshot interval recorded in the file (`intervalS`,
 * its `--interval`) when that is longer: a slower agent is not reported stale by the default.
 */

import { readFileSync } from 'node:fs';

const [fileVar = 'L2SCOPE_AGENT_STATUS_FILE', maxAgeVar = 'L2SCOPE_AGENT_STALE_AFTER_S', defaultMaxAge = '90'] = process.argv.slice(2);

/**
 * @param {string} msg
 * @returns {never}
 */
function fail(msg) {
  console.error(`agent-healthcheck: ${msg}`);
  process.exit(1);
}

const file = process.env[fileVar]?.trim();
if (!file) fail(`${fileVar} is not set: the agent writes no status file`);
const rawMaxAge = process.env[maxAgeVar]?.trim() || defaultMaxAge;
const maxAgeS = Number(rawMaxAge);
if (!Number.isFinite(maxAgeS) || maxAgeS <= 0) fail(`invalid maximum age ${JSON.stringify(rawMaxAge)} (from ${maxAgeVar}), expected seconds > 0`);

/** @type {{ schema?: unknown, lastConfirmedAt?: unknown, intervalS?: unknown, seq?: unknown, brokerConnected?: unknown, bum?: { state?: unknown } }} */
let status = {};
try {
  status = JSON.parse(readFileSync(/** @type {string} */ (file), 'utf8'));
} catch (err) {
  const e = /** @type {NodeJS.ErrnoException} */ (err);
  fail(e.code === 'ENOENT' ? `${file} does not exist (no publish confirmed yet)` : `${file} unreadable: ${e.code ?? e.name}: ${e.message}`);
}
if (!status || typeof status !== 'object' || status.schema !== 'l2scope.agent-status/1') fail(`${file} is not an l2scope.agent-status/1 file`);
if (typeof status.lastConfirmedAt !== 'string') fail(`${file}: no snapshot confirmed by the broker yet`);
const at = Date.parse(/** @type {string} */ (status.lastConfirmedAt));
if (!Number.isFinite(at)) fail(`${file}: lastConfirmedAt ${JSON.stringify(status.lastConfirmedAt)} is not a time`);
const intervalS = typeof status.intervalS === 'number' && Number.isFinite(status.intervalS) ? status.intervalS : 0;
const limitS = Math.max(maxAgeS, 3 * intervalS);
const ageS = (Date.now() - at) / 1000;
const detail = `seq ${String(status.seq)}, broker ${status.brokerConnected ? 'connected' : 'disconnected'}, bum ${String(status.bum?.state)}`;
if (ageS > limitS) fail(`last confirmed snapshot ${ageS.toFixed(0)} s ago (limit ${limitS} s): ${detail}`);
console.log(`agent-healthcheck: last confirmed snapshot ${Math.max(0, ageS).toFixed(0)} s ago (limit ${limitS} s): ${detail}`);
process.exit(0);
