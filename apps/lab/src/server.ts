/**
 * neutron-server in the root namespace (docs/lab.md#server): classic eventlet `/usr/bin/neutron-server`
 * (API + RPC workers in one process group), bound to 127.0.0.1 only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { apiUp } from './api';
import { serverTransportUrl, renderMl2Conf, renderServerConf } from './config';
import { waitFor } from './exec';
import { API_PORT, paths } from './paths';
import { isRunning, startDaemon, tail, type ProcRecord } from './procs';

/**
 * Write `neutron.conf` and `ml2_conf.ini` for the server (`dvr`: the router plugin and distributed
 * routers, docs/lab.md#dvr; `agentDownTime`: `agent_down_time` in seconds, docs/lab.md#heartbeats).
 */
export function writeServerConfig(amqpUrl: string, dvr = false, agentDownTime?: number): void {
  mkdirSync(paths.etc, { recursive: true });
  mkdirSync(`${paths.neutronState}/lock`, { recursive: true });
  writeFileSync(paths.serverConf, renderServerConf({ transportUrl: serverTransportUrl(amqpUrl), apiPort: API_PORT, dvr, agentDownTime }));
  writeFileSync(paths.ml2Conf, renderMl2Conf());
}

/**
 * Start neutron-server unless its recorded process runs, then wait until the API answers
 * (3-5 s on this machine kind).
 * @throws Error with the log tail when the API does not answer within 90 s
 */
export async function ensureServer(rec: ProcRecord | undefined): Promise<ProcRecord> {
  if (rec && isRunning(rec) && (await apiUp())) return rec;
  const started =
    rec && isRunning(rec)
      ? rec
      : await startDaemon(
          ['/usr/bin/neutron-server', '--config-file', paths.serverConf, '--config-file', paths.ml2Conf, '--log-file', paths.log('neutron-server')],
          paths.log('neutron-server.stdout'),
          { cwd: paths.root },
        );
  try {
    await waitFor('the Neutron API on 127.0.0.1', async () => ((await apiUp()) ? true : undefined), 90_000, 300);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${tail(paths.log('neutron-server'), 20)}`, { cause: e });
  }
  return started;
}
