// The node's distro, read from /etc/os-release under the host root.
import { distroOf, parseOsRelease } from '../model/os-release.ts';
import type { Distro } from '../model/types.ts';
import type { HostFiles } from '../ports/host-files.ts';

export async function detectDistro(files: HostFiles): Promise<{ distro: Distro; prettyName: string }> {
  const text = (await files.read('/etc/os-release')) ?? (await files.read('/usr/lib/os-release')) ?? '';
  const os = parseOsRelease(text);
  return { distro: distroOf(os), prettyName: os.PRETTY_NAME ?? os.ID ?? 'unknown' };
}
