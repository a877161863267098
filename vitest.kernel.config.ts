// Test runner config inside the kernel lab's guest (Debian's kernel under QEMU): only the tests that need its kernel.
// One worker (each process start costs seconds under emulation); the agent is the compiled executable (AGENT_BIN).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/kernel/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    globalSetup: ['test/kernel/guest-setup.ts'],
  },
});
