// Opens listening sockets inside a network namespace and hands them to this process (Node IPC handle passing).
import { spawn } from 'node:child_process';
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { labMs } from '../time-scale.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

const HELPER = fileURLToPath(new URL('./listen-helper.cjs', import.meta.url));

type HelperMessage = { index: number; error?: string; address?: unknown };

/**
 * Listens on ADDRS inside namespace NS and returns one `net.Server` per address, in order, already
 * listening in this process: a helper (`ip netns exec NS node listen-helper.cjs`) binds the sockets
 * there, passes the handles over its IPC channel and exits. Connections are accepted here, so handlers
 * in the test process serve addresses that exist only inside NS; close the servers when done.
 */
export function listenInNetns(
  ns: string,
  addrs: readonly ListenAddress[],
  timeoutMs = labMs(10_000),
): Promise<Server[]> {
  if (addrs.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, HELPER, JSON.stringify(addrs)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const servers: (Server | undefined)[] = new Array(addrs.length);
    let received = 0;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      if (err) {
        for (const s of servers) s?.close();
        if (child.exitCode === null) child.kill('SIGKILL');
        reject(err);
      } else resolve(servers as Server[]);
    };
    const timer = setTimeout(
      () => finish(new Error(`listenInNetns(${ns}): no handles after ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.on('message', (msg: HelperMessage, handle?: Server) => {
      if (msg.error) return finish(new Error(`listenInNetns(${ns}): ${msg.error}`));
      if (!handle)
        return finish(new Error(`listenInNetns(${ns}): message ${msg.index} came without a handle`));
      servers[msg.index] = handle;
      received += 1;
      if (received === addrs.length) finish();
    });
    child.on('error', (err) => finish(err));
    child.on('exit', (code, sig) => {
      if (received < addrs.length) finish(new Error(`listenInNetns(${ns}): helper exited (${code ?? sig})`));
    });
  });
}

/** Makes HTTP serve the connections NET accepts (the `net.Server`s from listenInNetns). */
export function serveHttpOn(http: HttpServer, net: Server): void {
  net.on('connection', (socket) => http.emit('connection', socket));
}
