// NetlinkMonitor port on `ip monitor`: one long-lived process; every line it prints is a change event. Spawned with
// Bun.spawn in the packaged executable (node:child_process costs Bun ~10 MB of resident memory), execa on Node.
import type { NetlinkMonitor } from '../ports/monitor.ts';
import { bun } from './bun-spawn.ts';

const ARGS = ['monitor', 'link', 'address', 'route', 'rule'];

export class IpMonitor implements NetlinkMonitor {
  /** Resolves once the process is running; its end (abort or crash) calls onChange once more unless aborted. */
  async start(onChange: () => void, signal: AbortSignal): Promise<void> {
    const lost = () => {
      if (!signal.aborted) onChange(); // lost the monitor: at least trigger a full check
    };
    if (bun) {
      const proc = bun.spawn(['ip', ...ARGS], { stdin: 'ignore', stdout: 'pipe', stderr: 'ignore' });
      signal.addEventListener('abort', () => proc.kill('SIGTERM'), { once: true });
      void (async () => {
        for await (const _ of proc.stdout) onChange();
        await proc.exited;
        lost();
      })();
      return;
    }
    const { execa } = await import('execa');
    const child = execa('ip', ARGS, { reject: false, cancelSignal: signal, buffer: false, stdin: 'ignore' });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', () => onChange());
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    void child.then(lost);
  }
}
