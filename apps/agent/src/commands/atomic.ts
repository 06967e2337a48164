/**
 * Files the agent writes on the host (the Neutron agent's ini, its backups, the state directory):
 * atomically, so a crash at any point leaves either the old or the new content, never a mix:
 * a temporary file in the same directory, written and fsynced, renamed over the target, then the
 * directory fsynced (so the rename itself survives a power loss).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Write `data` to `file` atomically with `mode` (default: the mode of the file it replaces, else
 * 0644). The directory is created when missing.
 * @throws the file system's error (the temporary file is removed first)
 */
export async function writeFileAtomic(file: string, data: string | Buffer, mode?: number): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const m =
    mode ??
    (await stat(file)
      .then((s) => s.mode & 0o7777)
      .catch(() => 0o644));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, m);
    try {
      await fh.writeFile(data);
      await fh.chmod(m); // the umask may have narrowed the mode given to open
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir);
}

/** fsync a directory (after a rename in it). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Read a text file of at most `maxBytes`.
 * @returns the text, or null when the file does not exist
 * @throws Error when it is larger than `maxBytes`, or any other file system error
 */
export async function readBounded(file: string, maxBytes: number): Promise<string | null> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = await fh.stat();
    if (st.size > maxBytes) throw new Error(`${file}: ${st.size} bytes, over the ${maxBytes} byte limit`);
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}
