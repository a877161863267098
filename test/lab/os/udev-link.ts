// Stand-in for udev's net_setup_link naming of a new NIC, as systemd-udevd 252 does it from .link files.
//
// systemd.link(5), systemd 252: .link files from /etc/systemd/network, /run/systemd/network and
// /usr/lib/systemd/network are sorted together by file name (a name in /etc masks the same name elsewhere); the
// first whose [Match] section matches the device is applied, later ones are ignored. Its [Link] Name= is used when
// NamePolicy= is empty (or none of its policies gives a name). The lab reads the node's /etc and /run: a device no
// file names keeps the name the lab's kernel naming gives it (what the distro's 99-default.link policies would).
// Only the [Match] keys the agent writes are understood (MACAddress=); a file with any other Match key is skipped.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function sections(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let current = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      current = out.get(header[1]) ?? new Map();
      out.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/** The name udev would give a new NIC with MAC on a node whose host root is ROOT, or undefined (kernel naming). */
export function udevLinkName(root: string, mac: string): string | undefined {
  const files = new Map<string, string>();
  for (const dir of ['run/systemd/network', 'etc/systemd/network']) {
    let names: string[] = [];
    try {
      names = readdirSync(join(root, dir));
    } catch {
      continue;
    }
    for (const n of names.filter((f) => f.endsWith('.link'))) files.set(n, join(root, dir, n));
  }
  for (const name of [...files.keys()].sort()) {
    const parsed = sections(readFileSync(files.get(name) as string, 'utf8'));
    const match = parsed.get('Match') ?? new Map();
    if ([...match.keys()].some((k) => k !== 'MACAddress')) continue;
    const macs = (match.get('MACAddress') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    if (macs.length && !macs.includes(mac.toLowerCase())) continue;
    const link = parsed.get('Link') ?? new Map();
    return link.get('NamePolicy') === '' || !link.has('NamePolicy') ? link.get('Name') : undefined;
  }
  return undefined;
}
