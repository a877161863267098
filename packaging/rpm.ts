// Builds the RPM of one architecture from the compiled executable, systemd/ and the rendered config (rpmbuild only).
import { copyFile, cp, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import type { Arch } from './targets.ts';

export interface RpmOptions {
  root: string;
  arch: Arch;
  executable: string;
  configYaml: string;
  /** outposts-node-agent(8) as roff (packaging/man-page.ts). */
  manPage: string;
  version: string;
  release: string;
  /** Scratch space for rpmbuild's tree; the RPM is moved to outDir. */
  workDir: string;
  outDir: string;
}

/** RPM versions cannot hold '-': a semver pre-release (1.2.0-rc.1) becomes 1.2.0~rc.1, which sorts before 1.2.0. */
function rpmVersion(version: string): string {
  return version.replace('-', '~').replace(/[^A-Za-z0-9._+~]/g, '_');
}

export async function buildRpm(o: RpmOptions): Promise<string> {
  const top = join(o.workDir, o.arch);
  await rm(top, { recursive: true, force: true });
  const sources = join(top, 'SOURCES');
  await mkdir(sources, { recursive: true });
  await copyFile(o.executable, join(sources, 'outposts-node-agent'));
  await cp(join(o.root, 'systemd'), join(sources, 'systemd'), { recursive: true });
  await writeFile(join(sources, 'config.yaml'), o.configYaml);
  await writeFile(join(sources, 'outposts-node-agent.8'), o.manPage);
  // %license and %doc: the license, the README, the node role's IAM policy and the SSM diagnose document.
  for (const doc of [
    'LICENSE',
    'README.md',
    'packaging/iam/node-policy.json',
    'packaging/ssm/outposts-node-agent-diagnose.json',
  ])
    await copyFile(join(o.root, doc), join(sources, basename(doc)));
  const define = (name: string, value: string) => ['--define', `${name} ${value}`];
  await execa(
    'rpmbuild',
    [
      '-bb',
      '--target',
      `${o.arch}-linux`,
      ...define('_topdir', top),
      ...define('agent_version', rpmVersion(o.version)),
      ...define('agent_release', o.release),
      join(o.root, 'packaging/outposts-node-agent.spec'),
    ],
    { cwd: o.root, env: { LC_ALL: 'C' }, stdout: 'pipe', stderr: 'pipe' },
  );
  const built = await readdir(join(top, 'RPMS', o.arch));
  const [rpm] = built.filter((f) => f.endsWith('.rpm'));
  if (!rpm || built.length !== 1)
    throw new Error(`rpmbuild left ${built.join(', ') || 'nothing'} for ${o.arch}`);
  // Moved, not copied, into place: a reader of the previous RPM never sees a half-written one.
  await rename(join(top, 'RPMS', o.arch, rpm), join(o.outDir, rpm));
  return join(o.outDir, rpm);
}
