// Pure: the distro from /etc/os-release's text: AL2, AL2023, RHEL (and rebuilds) or other.
import type { Distro } from './types.ts';

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = (m[2] ?? '').replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return out;
}

export function distroOf(osRelease: Record<string, string>): Distro {
  const id = osRelease.ID ?? '';
  const like = (osRelease.ID_LIKE ?? '').split(/\s+/);
  if (id === 'amzn')
    return osRelease.VERSION_ID === '2'
      ? 'al2'
      : osRelease.VERSION_ID?.startsWith('2023')
        ? 'al2023'
        : 'other';
  if (['rhel', 'centos', 'rocky', 'almalinux'].includes(id) || like.includes('rhel')) return 'rhel';
  return 'other';
}
