// One structured logger to stderr: human text on a TTY, JSON lines otherwise.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'auto' | 'text' | 'json';
export type Log = Logger;

export function createLogger(opts: { format?: LogFormat; level?: string; isTty?: boolean } = {}): Log {
  const level = opts.level ?? 'info';
  const isTty = opts.isTty ?? Boolean(process.stderr.isTTY);
  const format = opts.format === 'auto' || !opts.format ? (isTty ? 'text' : 'json') : opts.format;
  if (format === 'text') {
    return pino(
      { level, base: undefined },
      pretty({
        destination: 2,
        sync: true,
        colorize: isTty,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss.l',
      }),
    );
  }
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}
