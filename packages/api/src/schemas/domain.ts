/**
 * Output schemas for values the domain owns and the API passes through unchanged: the type is the
 * domain's, and nothing is parsed a second time (the value was built by domain code, or validated
 * with the domain's schema where packages/db read it, e.g. `parseNodeSnapshot`, `bumReportSchema`).
 */
import { z } from 'zod';

/**
 * A value of domain type `T`, accepted as is.
 * @param name the domain type and where it comes from, e.g. `HostAnalysis (domain node/analysis)`: the schema's description
 */
export function domainValue<T>(name: string): z.ZodType<T> {
  return z.custom<T>(() => true).describe(name);
}
