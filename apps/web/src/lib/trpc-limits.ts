/**
 * Limits of the dashboard's tRPC endpoint, shared by the route handler (which enforces them) and
 * the client's batch links (which stay within them).
 */

/**
 * Calls in one batched request at most. tRPC's fetch adapter answers a larger batch with 400
 * before parsing any input or opening the database; the dashboard's pages batch a handful.
 */
export const MAX_BATCH_SIZE = 32;
