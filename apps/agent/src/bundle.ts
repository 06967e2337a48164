/**
 * Support bundles: the same files as the snapshot directories of `fixtures/` (see `bundleFiles` in
 * @l2scope/domain), written to a directory. The agent ini is copied with secret-looking values
 * replaced by `***` (an operator may point `--ini` at neutron.conf, whose transport_url has a password).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type RawNodeOutputs, bundleFiles } from '@l2scope/domain';

const SECRET_KEY = /(pass(word|wd)?|secret|token|credentials?|(^|_)key|^transport_url|^connection)$/i;

/** The ini text with the values of secret-looking keys replaced by `***` (layout kept). */
export function redactIni(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const m = /^([^#;[\s][^=:]*?)(\s*[=:]\s*)(.*)$/.exec(line);
      if (!m || !SECRET_KEY.test(m[1]!.trim()) || m[3]!.trim() === '') return line;
      return `${m[1]}${m[2]}***`;
    })
    .join('\n');
}

/**
 * Write one host's bundle into `dir` (created if missing).
 * @returns the file names written
 */
export async function writeBundle(
  dir: string,
  host: string,
  raw: RawNodeOutputs,
  meta: { takenAt: number; agentType: 'linuxbridge' | 'openvswitch' },
): Promise<string[]> {
  const safe: RawNodeOutputs = { ...raw, ...(raw.agentIni !== undefined ? { agentIni: redactIni(raw.agentIni) } : {}) };
  const files = bundleFiles(host, safe, meta);
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return Object.keys(files).sort();
}
