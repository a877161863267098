// Test runner config: unit and lab tests together; lab tests need root (network namespaces). The tests that need
// kernel features this machine lacks (test/kernel) run in the kernel lab's guest, started by test/kernel-lab.test.ts.
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/kernel/**'],
    pool: 'forks',
    maxWorkers: 2,
    // Lab tests wait on real (lab-timed) attachments and processes; a loaded 2-core CI machine needs headroom.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
