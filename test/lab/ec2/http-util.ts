// Small HTTP helpers shared by the lab's endpoints: listening (on a port or a handed-over socket), bodies, addresses.
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { PendingWork } from './pending-work.ts';

/** Where to listen: a host/port, or a listening handle someone else created (e.g. inside a netns). */
export type ListenTarget = { host?: string; port?: number } | { handle: NetServer | { fd: number } };

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

function urlOf(address: string | AddressInfo | null): string {
  if (!address || typeof address === 'string') throw new Error(`cannot form a URL from address ${address}`);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export async function serve(handler: RequestListener, target: ListenTarget = {}): Promise<RunningServer> {
  const server = createServer(handler);
  // Idle keep-alive connections stay open for a minute, the order of a real AWS endpoint's idle timeout. Node's own
  // 5 s default races clients that pause a few seconds between calls on a loaded machine: the client reuses the
  // socket just as the server closes it, and a client without retries (the conformance tests) sees ECONNRESET.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if ('handle' in target) server.listen(target.handle, done);
    else server.listen(target.port ?? 0, target.host ?? '127.0.0.1', done);
  });
  return {
    url: urlOf(server.address()),
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An endpoint handler that holds delayed answers and must release them before its server closes. */
export type DisposableHandler = RequestListener & { dispose(): void };

/** Serves `handler`; closing the server first releases the handler's hung and delayed requests. */
export async function serveEndpoint<H extends DisposableHandler>(
  handler: H,
  target: ListenTarget,
): Promise<RunningServer & { handler: H }> {
  const running = await serve(handler, target);
  return {
    ...running,
    handler,
    close: async () => {
      handler.dispose();
      await running.close();
    },
  };
}

export async function readBody(req: IncomingMessage, limitBytes = 10 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > limitBytes) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The caller's IPv4 address (IPv4-mapped IPv6 unwrapped). */
export function sourceAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export const isLoopback = (address: string): boolean =>
  address === '::1' || address.startsWith('127.') || address === 'localhost';

/** Tracks the wall time during which at least one request was being answered. */
class BusyClock {
  private inFlight = 0;
  private since = 0;
  private total = 0;

  enter(): void {
    if (this.inFlight++ === 0) this.since = performance.now();
  }

  leave(): void {
    if (--this.inFlight === 0) this.total += performance.now() - this.since;
  }

  get busyMs(): number {
    return this.total + (this.inFlight > 0 ? performance.now() - this.since : 0);
  }

  reset(): void {
    this.total = 0;
    if (this.inFlight > 0) this.since = performance.now();
  }
}

/** An endpoint's call log: the records, and how long the endpoint was busy answering (cleared together). */
export class CallLog<R> {
  private records: R[] = [];
  private readonly busy = new BusyClock();

  /** A request arrived; `leave()` when it is answered (or given up). */
  enter(): void {
    this.busy.enter();
  }

  leave(): void {
    this.busy.leave();
  }

  push(record: R): void {
    this.records.push(record);
  }

  calls(): R[] {
    return [...this.records];
  }

  clear(): void {
    this.records = [];
    this.busy.reset();
  }

  get busyMs(): number {
    return this.busy.busyMs;
  }
}

/** Delays and hangs of answers, cut short when the client leaves or the endpoint is disposed. */
export class ResponseDelays {
  private readonly work = new PendingWork((error) => process.stderr.write(`[lab http] ${String(error)}\n`));
  private release: () => void = () => {};
  private readonly disposed = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  /** Waits `ms` (or until the client goes away); true if the response can still be written. */
  async pause(res: ServerResponse, ms: number): Promise<boolean> {
    if (ms > 0) await Promise.race([this.work.delay(ms), closed(res)]);
    return !res.destroyed && !res.writableEnded;
  }

  /** Never answers: holds the request until the client leaves, `ms` passes or dispose, then drops the connection. */
  async hang(res: ServerResponse, ms?: number): Promise<void> {
    const limit = ms === undefined ? [] : [this.work.delay(ms)];
    await Promise.race([closed(res), this.disposed, ...limit]);
    res.destroy();
  }

  dispose(): void {
    this.release();
    this.work.dispose();
  }
}

const closed = (res: ServerResponse): Promise<void> =>
  res.destroyed ? Promise.resolve() : new Promise((resolve) => res.once('close', () => resolve()));
