// One structured logger to stderr: human text on a TTY, JSON lines otherwise.
import pino, { type Logger } from 'pino';

export type LogFormat = 'auto' | 'text' | 'json';
export type Log = Logger;

/** Async because the text formatter (pino-pretty) is loaded only when text is asked for: services log JSON. */
export async function createLogger(
  opts: { format?: LogFormat; level?: string; isTty?: boolean } = {},
): Promise<Log> {
  const level = opts.level ?? 'info';
  const isTty = opts.isTty ?? Boolean(process.stderr.isTTY);
  const format = opts.format === 'auto' || !opts.format ? (isTty ? 'text' : 'json') : opts.format;
  if (format === 'text') {
    const { default: pretty } = await import('pino-pretty');
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
