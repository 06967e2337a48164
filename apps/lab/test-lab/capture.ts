/**
 * tcpdump on a host's fabric port (`ul-<host>` in the fabric namespace, ingress only: every packet
 * the host sends into the underlay, once, whether unicast head-end or multicast), written to a pcap
 * file, for the suite's checks against the fabric (BUM meter, host-frame leaks).
 *
 * Always `--immediate-mode`: without it libpcap (TPACKET_V3) hands packets to tcpdump only when its
 * block timer fires (tcpdump's 1000 ms timeout; 570-890 ms after a ping on a lab veth), so a packet
 * captured in the last second before SIGINT never reaches the file. With it: 8-11 ms.
 */
import { execa, type ResultPromise } from 'execa';
import { fabricPortName } from '../src/fabric';
import { FABRIC_NS } from '../src/paths';

/** A running capture. */
export interface FabricCapture {
  host: string;
  /** The pcap tcpdump writes (`-U`: each packet flushed as it is written). */
  file: string;
  /** Stop tcpdump (SIGINT, by PID) and wait for it to exit. */
  stop(): Promise<void>;
}

/**
 * Start tcpdump on `ul-<host>` (ingress) writing `file`, and resolve once it says "listening on".
 * @param filter a pcap filter expression
 * @throws Error when tcpdump exits or is not listening within `timeoutMs`
 */
export async function startFabricCapture(host: string, file: string, filter: string, timeoutMs = 10_000): Promise<FabricCapture> {
  const port = fabricPortName(host);
  const proc: ResultPromise = execa(
    'ip',
    ['netns', 'exec', FABRIC_NS, 'tcpdump', '--immediate-mode', '-i', port, '-Q', 'in', '-nn', '-U', '-w', file, filter],
    { reject: false, all: true },
  );
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`tcpdump on ${port} did not start in ${timeoutMs} ms: ${output.trim() || '(no output)'}`)), timeoutMs);
      proc.all?.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('listening on')) {
          clearTimeout(t);
          resolve();
        }
      });
      void proc.then(() => {
        clearTimeout(t);
        reject(new Error(`tcpdump on ${port} exited: ${output.trim() || '(no output)'}`));
      });
    });
  } catch (e) {
    proc.kill('SIGKILL');
    await proc;
    throw e;
  }
  return {
    host,
    file,
    stop: async () => {
      proc.kill('SIGINT');
      await proc;
    },
  };
}
