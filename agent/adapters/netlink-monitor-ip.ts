// NetlinkMonitor port on `ip monitor`: one long-lived process; every line it prints is a change event.
import { execa } from 'execa';
import type { NetlinkMonitor } from '../ports/monitor.ts';

export class IpMonitor implements NetlinkMonitor {
  async start(onChange: () => void, signal: AbortSignal): Promise<void> {
    const child = execa('ip', ['monitor', 'link', 'address', 'route', 'rule'], {
      reject: false,
      cancelSignal: signal,
      buffer: false,
      stdin: 'ignore',
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', () => onChange());
    // Resolves once the process is running; its end (abort or crash) is reported by the returned promise.
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    child.then((r) => {
      if (!signal.aborted) onChange(); // lost the monitor: at least trigger a full check
      return r;
    });
  }
}
