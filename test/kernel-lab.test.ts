// The kernel lab: the tests that need 802.1Q VLANs and ipvlan (test/kernel) run inside Debian's kernel under QEMU,
// and their result is this test's: a failure in the guest fails here, with the guest's output.
import { describe, expect, it } from 'vitest';
import { findKernel, probeKvm, runInGuest } from './lab/kernel/guest.ts';
import { ensurePackaged, executable, PACKAGE_TIMEOUT_MS, ROOT } from './packaging/artifacts.ts';

const GUEST_TIMEOUT_MS = 20 * 60_000;

describe('kernel lab (Debian’s kernel under QEMU)', () => {
  it(
    'the tests that need kernel features this machine lacks (802.1Q VLAN, ipvlan) pass in the guest',
    async () => {
      const kernel = await findKernel();
      await ensurePackaged();
      const accel = (await probeKvm(kernel)) ? 'kvm' : 'tcg';
      const run = await runInGuest(kernel, {
        command:
          'node node_modules/vitest/vitest.mjs run --config vitest.kernel.config.ts --reporter=verbose --color=false',
        cwd: ROOT,
        // Emulated, and sharing two cores with the host's own tests: the lab's readiness bounds stretch.
        env: {
          AGENT_BIN: executable('x86_64'),
          CI: '1',
          NO_COLOR: '1',
          FORCE_COLOR: '0',
          LAB_TIME_SCALE: '6',
        },
        timeoutMs: GUEST_TIMEOUT_MS,
        accel,
      });
      console.log(
        `kernel lab: ${kernel.version} under ${run.accel}, userspace after ${run.bootSeconds ?? '?'} s, whole guest ${run.wallSeconds.toFixed(0)} s\n${run.output}`,
      );
      expect(run.exitCode, `guest output:\n${run.output}\nconsole tail:\n${run.console.slice(-3000)}`).toBe(
        0,
      );
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
      const plain = run.output.replace(/\u001b\[[0-9;]*m/g, '');
      expect(plain).toMatch(/Tests\s+\d+ passed \(\d+\)/);
      expect(plain).not.toMatch(/skipped|todo/);
    },
    PACKAGE_TIMEOUT_MS + GUEST_TIMEOUT_MS,
  );
});
