import { defineConfig } from 'vitest/config';

// The timeout guards against a hung test only: the property tests over real captures are
// CPU-bound and must not fail because the machine is busy (tests wait on state, never on time).
export default defineConfig({ test: { testTimeout: 120_000 } });
