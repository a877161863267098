// The RPMs: file list, %config(noreplace), scriptlets (incl. the systemd >= 244 drop-in decision), payload, contents.
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { VERSION } from '../../agent/version.ts';
import { parseDocs } from '../../packaging/default-config.ts';
import { DIST, ensurePackaged, executable, nativeExecutable, PACKAGE_TIMEOUT_MS, ROOT } from './artifacts.ts';

const ARCHES = ['x86_64', 'aarch64'] as const;
const UNIT_DIR = '/usr/lib/systemd/system';
const DROPIN = `${UNIT_DIR}/outposts-node-agent.service.d/10-restart.conf`;
const rpmOf = (arch: string) => join(DIST, `outposts-node-agent-${VERSION}-1.${arch}.rpm`);
const query = async (arch: string, args: string[]) =>
  (await execa('rpm', ['-qp', ...args, rpmOf(arch)])).stdout;

describe('RPMs', () => {
  let scratch: string;
  beforeAll(async () => {
    await ensurePackaged();
    scratch = await mkdtemp(join(tmpdir(), 'ona-rpm-'));
  }, PACKAGE_TIMEOUT_MS);
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it.each(ARCHES)('%s: executable, every unit, the drop-in and the config, for that arch', async (arch) => {
    expect(await query(arch, ['--qf', '%{NAME} %{VERSION} %{ARCH}'])).toBe(
      `outposts-node-agent ${VERSION} ${arch}`,
    );
    const files = (await query(arch, ['-l'])).split('\n');
    const units = (await readdir(join(ROOT, 'systemd'))).filter((f) => /\.(service|timer)$/.test(f));
    expect(units.length).toBeGreaterThanOrEqual(4);
    expect(files).toEqual(
      expect.arrayContaining([
        '/usr/bin/outposts-node-agent',
        ...units.map((u) => `${UNIT_DIR}/${u}`),
        DROPIN,
        '/usr/share/outposts-node-agent/10-restart.conf',
        '/etc/outposts-node-agent/config.yaml',
        '/usr/share/man/man8/outposts-node-agent.8.gz',
        `/usr/share/licenses/outposts-node-agent-${VERSION}/LICENSE`,
        `/usr/share/doc/outposts-node-agent-${VERSION}/README.md`,
        `/usr/share/doc/outposts-node-agent-${VERSION}/node-policy.json`,
        `/usr/share/doc/outposts-node-agent-${VERSION}/outposts-node-agent-diagnose.json`,
      ]),
    );
    expect((await query(arch, ['--docfiles'])).split('\n').sort()).toEqual(
      [
        '/usr/share/man/man8/outposts-node-agent.8.gz',
        `/usr/share/doc/outposts-node-agent-${VERSION}/README.md`,
        `/usr/share/doc/outposts-node-agent-${VERSION}/node-policy.json`,
        `/usr/share/doc/outposts-node-agent-${VERSION}/outposts-node-agent-diagnose.json`,
      ].sort(),
    );
    expect((await query(arch, ['--configfiles'])).split('\n')).toEqual([
      '/etc/outposts-node-agent/config.yaml',
    ]);
    // c = %config, n = noreplace; g = %ghost (the drop-in link is made by %post, removed by erase).
    const flags = Object.fromEntries(
      (await query(arch, ['--qf', '[%{FILENAMES}\\t%{FILEFLAGS:fflags}\\n]']))
        .split('\n')
        .map((l) => l.split('\t')),
    );
    expect(flags['/etc/outposts-node-agent/config.yaml']).toBe('cn');
    expect(flags[DROPIN]).toBe('g');
    expect(flags[`/usr/share/licenses/outposts-node-agent-${VERSION}/LICENSE`]).toBe('l'); // %license
  });

  it.each(ARCHES)(
    '%s: readable by AL2 rpm 4.11 (gzip payload) and requires no glibc past 2.26',
    async (arch) => {
      expect(await query(arch, ['--qf', '%{PAYLOADCOMPRESSOR}'])).toBe('gzip');
      const requires = await query(arch, ['--requires']);
      expect(requires).toMatch(/^iproute$/m);
      expect(requires).toMatch(/^systemd$/m);
      for (const m of requires.matchAll(/GLIBC_(\d+)\.(\d+)/g))
        expect(Number(m[1]) * 1000 + Number(m[2]), m[0]).toBeLessThanOrEqual(2026);
    },
  );

  it('scriptlets: preset on install, disable + stop on erase, try-restart the watcher on upgrade', async () => {
    const scripts = await query('x86_64', ['--scripts']);
    expect(scripts).toMatch(
      /postinstall scriptlet[\s\S]*systemctl --no-reload preset outposts-node-agent\.service/,
    );
    expect(scripts).toMatch(
      /preuninstall scriptlet[\s\S]*if \[ \$1 -eq 0 \][\s\S]*systemctl --no-reload disable/,
    );
    expect(scripts).toMatch(/preuninstall scriptlet[\s\S]*systemctl stop outposts-node-agent\.service/);
    expect(scripts).toMatch(/postuninstall scriptlet[\s\S]*try-restart outposts-node-agent-watch\.service/);
    expect(await query('aarch64', ['--scripts'])).toBe(scripts);
  });

  it.each([
    { systemd: 'systemd 219', linked: false },
    { systemd: 'systemd 239 (239-82.el8)', linked: false },
    { systemd: 'systemd 252 (252.23-2.amzn2023)', linked: true },
  ])('%post links the Restart= drop-in only where systemd >= 244: $systemd', async ({ systemd, linked }) => {
    const post = await query('x86_64', ['--qf', '%{POSTIN}']);
    const bin = join(scratch, `bin-${systemd.split(' ')[1]}`);
    await execa('mkdir', ['-p', bin]);
    const calls = join(bin, 'calls');
    await writeFile(
      join(bin, 'systemctl'),
      `#!/bin/sh\necho "$*" >> ${calls}\n[ "$1" = --version ] && printf '%s\\n+PAM +AUDIT\\n' '${systemd}'\nexit 0\n`,
    );
    await chmod(join(bin, 'systemctl'), 0o755);
    await writeFile(join(bin, 'post.sh'), post);
    // A private mount namespace with a tmpfs over the unit directory: the host's units are never touched.
    const script = [
      `mount -t tmpfs tmpfs ${UNIT_DIR}`,
      `mkdir -p ${UNIT_DIR}/outposts-node-agent.service.d`,
      `ln -s /stale ${DROPIN}`,
      `sh ${join(bin, 'post.sh')} 1`,
      `if [ -L ${DROPIN} ]; then readlink ${DROPIN}; else echo absent; fi`,
    ].join(' && ');
    const result = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    // Relative, so it also resolves under another root (an image being built, rpm --root).
    expect(result.stdout.trim()).toBe(
      linked ? '../../../../share/outposts-node-agent/10-restart.conf' : 'absent',
    );
    const log = await readFile(calls, 'utf8');
    expect(log).toContain(
      '--no-reload preset outposts-node-agent.service outposts-node-agent-watch.service outposts-node-agent-sweep.timer',
    );
    expect(log).not.toMatch(/^(start|enable)/m);
  });

  it('the changelog: newest entry first, for this version and release, one per release', async () => {
    const entries = (await query('x86_64', ['--changelog'])).split('\n').filter((l) => l.startsWith('* '));
    expect(entries[0]).toMatch(new RegExp(`> - ${VERSION.replaceAll('.', '\\.')}-1$`));
    const releases = entries.map((e) => e.split(' - ').at(-1));
    expect(new Set(releases).size).toBe(releases.length);
    expect(await query('aarch64', ['--changelog'])).toBe(await query('x86_64', ['--changelog']));
  });

  it.each(ARCHES)(
    '%s: holds the executable byte for byte (nothing stripped) and the rendered config',
    async (arch) => {
      const root = join(scratch, `root-${arch}`);
      await execa('rpm', [
        '-i',
        '--root',
        root,
        '--dbpath',
        '/rpmdb',
        '--nodeps',
        '--noscripts',
        '--notriggers',
        '--ignorearch',
        rpmOf(arch),
      ]);
      const installed = await readFile(join(root, 'usr/bin/outposts-node-agent'));
      expect(installed.equals(await readFile(executable(arch)))).toBe(true);

      const configFile = join(root, 'etc/outposts-node-agent/config.yaml');
      const text = await readFile(configFile, 'utf8');
      expect(YAML.parse(text)).toBeNull(); // all commented out: the defaults apply
      const effective = await execa(nativeExecutable(), [
        'config',
        '--json',
        '--config',
        configFile,
        '--set',
        'cluster.name=c',
      ]);
      expect(JSON.parse(effective.stdout)).toMatchObject({
        lni: { mtu: 1500 },
        addressing: { mode: 'dhcp' },
      });
      // Uncommented, each parameter that has a default shows exactly that default.
      const uncommented = YAML.parse(
        text
          .split('\n')
          .filter((l) => /^# {2,}\S/.test(l) || /^# [a-z]\w*:$/.test(l))
          .map((l) => l.slice(2))
          .join('\n'),
        { uniqueKeys: false },
      ) as Record<string, Record<string, unknown>>;
      const docs = parseDocs((await execa(nativeExecutable(), ['config', '--docs'])).stdout);
      for (const d of docs.filter((x) => x.default !== '' && !x.key.includes('(mode'))) {
        const [section = '', key = ''] = d.key.split('.');
        expect(uncommented[section]?.[key], d.key).toEqual(JSON.parse(d.default));
      }
    },
  );
});
