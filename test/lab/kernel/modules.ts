// The kernel modules the guest loads, in dependency order, resolved on the host from each module's modinfo.
//
// Debian's linux-image package is unpacked, not installed, so it has no modules.dep (depmod runs at install):
// each .ko names its hard dependencies in modinfo's `depends=` and soft ones in `softdep=pre: …` (libcrc32c needs
// crc32c, which nothing else pulls in). Reading them on the host is fast; doing it in the guest over 9p was not.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** What the kernel tests need that the machine's own kernel lacks, and what the guest needs to get there. */
export const WANTED_MODULES = [
  // the host's root over virtio-9p, writable overlays
  'virtio_pci',
  '9pnet_virtio',
  '9p',
  'overlay',
  // the lab's links: veth, bridges, 802.1Q VLANs, ipvlan, dummy
  'veth',
  'bridge',
  '8021q',
  'ipvlan',
  'dummy',
  // iptables (nft flavour and legacy) for the agent's SNAT and the lab's CNI / kube-proxy stand-ins
  'nf_tables',
  'nft_compat',
  'nft_chain_nat',
  'nf_nat',
  'nf_conntrack',
  'xt_nat',
  'xt_comment',
  'xt_addrtype',
  'xt_connmark',
  'xt_mark',
  'xt_conntrack',
  'xt_tcpudp',
  'iptable_nat',
  'iptable_mangle',
  'iptable_filter',
];

const norm = (name: string) => name.replace(/-/g, '_');

async function indexModules(dir: string, into = new Map<string, string>()): Promise<Map<string, string>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await indexModules(path, into);
    else if (entry.name.endsWith('.ko')) into.set(norm(entry.name.slice(0, -3)), path);
  }
  return into;
}

async function modinfo(path: string, field: string): Promise<string> {
  return (await execa('modinfo', ['-F', field, path])).stdout.trim();
}

/** Module files in an order where each comes after everything it depends on (hard and soft `pre:`). */
export async function moduleLoadOrder(modulesDir: string, wanted = WANTED_MODULES): Promise<string[]> {
  const index = await indexModules(modulesDir);
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = async (name: string, chain: string[]): Promise<void> => {
    const key = norm(name);
    if (seen.has(key)) return;
    const path = index.get(key);
    if (!path)
      throw new Error(
        `kernel module ${name} not found under ${modulesDir} (needed by ${chain.join(' → ') || 'the lab'})`,
      );
    seen.add(key);
    const depends = (await modinfo(path, 'depends')).split(',').filter(Boolean);
    // A soft dependency names an alias (libcrc32c: `pre: crc32c`); crypto's generic implementation provides it.
    const softPre = (await modinfo(path, 'softdep'))
      .split('\n')
      .flatMap((l) => (/^pre:\s*(.*)$/.exec(l.trim())?.[1] ?? '').split(/\s+/))
      .filter(Boolean)
      .map((m) => (index.has(norm(m)) ? m : `${m}_generic`))
      .filter((m) => index.has(norm(m)));
    for (const dep of [...softPre, ...depends]) await visit(dep, [...chain, name]);
    order.push(path);
  };
  for (const m of wanted) await visit(m, []);
  return order;
}
