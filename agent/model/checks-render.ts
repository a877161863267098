// Pure: the diagnose report as a text table (status, check, observed; expected and hint under what is not a pass).
import type { CheckStatus, DiagnoseReport } from './checks.ts';

const COLOURS: Record<CheckStatus, string> = {
  pass: '\x1b[32m',
  warn: '\x1b[33m',
  fail: '\x1b[31m',
  skip: '\x1b[90m',
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

export function renderReport(report: DiagnoseReport, opts: { colour: boolean; width?: number }): string {
  const paint = (code: string, s: string) => (opts.colour ? `${code}${s}${RESET}` : s);
  const idWidth = Math.max(...report.checks.map((c) => c.id.length), 5);
  // Clipped to the terminal's width on a TTY; whole lines otherwise (logs, Session Manager output).
  const clip = (s: string, room: number) =>
    opts.width && s.length > room ? `${s.slice(0, Math.max(room - 1, 10))}…` : s;
  const indent = ' '.repeat(idWidth + 8);
  const lines = [
    `outposts-node-agent ${report.command} ${report.agentVersion}${report.instanceId ? ` on ${report.instanceId}` : ''}: ${report.checks.length} checks in ${(report.durationMs / 1000).toFixed(1)} s (bound ${report.boundMs / 1000} s)`,
    '',
  ];
  for (const c of report.checks) {
    const status = paint(COLOURS[c.status], c.status.toUpperCase().padEnd(4));
    lines.push(
      `  ${status}  ${c.id.padEnd(idWidth)}  ${clip(c.observed ?? '', (opts.width ?? 0) - idWidth - 10)}`,
    );
    if (c.status === 'pass' || c.status === 'skip') continue;
    if (c.expected) lines.push(`${indent}${paint(DIM, `expected: ${c.expected}`)}`);
    if (c.hint) lines.push(`${indent}${paint(DIM, `hint: ${c.hint}`)}`);
  }
  const s = report.summary;
  lines.push(
    '',
    `${paint(COLOURS.pass, `${s.pass} pass`)}, ${paint(COLOURS.warn, `${s.warn} warn`)}, ${paint(COLOURS.fail, `${s.fail} fail`)}, ${paint(COLOURS.skip, `${s.skip} skip`)}`,
  );
  return `${lines.join('\n')}\n`;
}
