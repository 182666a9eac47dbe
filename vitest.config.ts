import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores here; OCR tests are CPU-heavy and would starve each other.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
