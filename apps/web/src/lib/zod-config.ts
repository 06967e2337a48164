/**
 * zod's configuration in the browser. `jitless`: zod otherwise probes `Function('')` to decide
 * whether it may compile object parsers, which the dashboard's Content-Security-Policy (no
 * `'unsafe-eval'`, next.config.ts) reports as a violation on every page. Imported first by the
 * client providers, before any schema parses.
 */
import { z } from 'zod';

z.config({ jitless: true });
