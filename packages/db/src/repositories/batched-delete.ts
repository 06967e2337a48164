/**
 * The batched delete of retention (docs/operations.md#retention): find the oldest `batch` ids,
 * delete them, pause, again, so a prune never holds a long lock. Internal to the repositories
 * (retention.ts, held-history.ts); not exported from the package.
 */

/**
 * Find the next `batch` ids to delete and delete them, until none is left; `pause` is awaited
 * between two full batches (not after the last, short one).
 * @param find the next ids to delete (at most `take`, oldest first); it must not return deleted rows again
 * @param remove deletes these ids, returns how many rows went
 * @returns rows deleted. Throws the driver's error (earlier batches stay deleted).
 */
export async function deleteByIds<Id extends number | string>(
  find: (take: number) => Promise<{ id: Id }[]>,
  remove: (ids: Id[]) => Promise<{ count: number }>,
  batch: number,
  pause: () => Promise<void>,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const rows = await find(batch);
    if (rows.length === 0) return deleted;
    deleted += (await remove(rows.map((r) => r.id))).count;
    if (rows.length < batch) return deleted;
    await pause();
  }
}
