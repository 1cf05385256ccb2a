import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Broker and process tests open real sockets; two cores do not like many at once.
    maxWorkers: 2,
  },
});
