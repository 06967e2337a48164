import { defineConfig } from 'vitest/config';

// The timeout guards against a hung test only: a busy machine must not fail a CPU-bound test.
export default defineConfig({ test: { testTimeout: 120_000 } });
