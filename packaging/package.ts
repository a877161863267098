// `npm run package`: both single executables, their RPMs and SHA256SUMS in dist/ (needs npm's registry and rpmbuild only).
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { COMMANDS, GLOBAL_OPTIONS, SUMMARY } from '../agent/cli/commands.ts';
import { EXIT_CODE_DOCS } from '../agent/errors.ts';
import { gitCommit, gitCommitDate } from '../scripts/git-commit.mjs';
import { bunRuntime } from './bun-runtimes.ts';
import { compileExecutable, renderHelp } from './compile.ts';
import { parseDocs, renderDefaultConfig } from './default-config.ts';
import { exists, sha256File } from './files.ts';
import { inputsDigest } from './inputs.ts';
import { renderManPage } from './man-page.ts';
import { buildRpm } from './rpm.ts';
import { executableName, hostTarget, TARGETS } from './targets.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** Digest of the inputs the artifacts in dist/ were made from (see --if-changed). */
const STAMP = join(DIST, '.package-inputs');

function log(message: string): void {
  process.stderr.write(`package: ${message}\n`);
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  log(`${label} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function upToDate(digest: string): Promise<boolean> {
  const stamp = await readFile(STAMP, 'utf8').catch(() => '');
  const sums = await readFile(join(DIST, 'SHA256SUMS'), 'utf8').catch(() => '');
  if (stamp.trim() !== digest || !sums) return false;
  const names = sums.split('\n').flatMap((l) => (l ? [l.split('  ')[1] ?? ''] : []));
  const present = await Promise.all(names.map((n) => exists(join(DIST, n))));
  return present.every(Boolean);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'if-changed': { type: 'boolean', default: false },
      release: { type: 'string', default: process.env.RPM_RELEASE ?? '1' },
    },
  });
  const digest = await inputsDigest(ROOT);
  if (values['if-changed'] && (await upToDate(digest))) {
    log('dist/ is up to date with the sources');
    return;
  }
  const started = performance.now();
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  await mkdir(DIST, { recursive: true });
  await rm(STAMP, { force: true });

  const compiler = await bunRuntime(ROOT, hostTarget());
  const help = await renderHelp(ROOT, compiler);
  const commit = gitCommit(ROOT);
  const executables = new Map<string, string>();
  for (const target of TARGETS) {
    const runtime = await timed(`${target.runtimePackage} runtime`, () => bunRuntime(ROOT, target));
    const outfile = join(DIST, executableName(target.arch));
    await timed(`compiled ${basename(outfile)}`, () =>
      compileExecutable({ root: ROOT, target, compiler, runtime, outfile, help, commit }),
    );
    executables.set(target.arch, outfile);
  }

  // The config file comes from the schema through the executable itself, so it cannot drift from either.
  const native = executables.get(hostTarget().arch) ?? '';
  const reported = (await execa(native, ['--version'])).stdout.trim();
  if (reported !== `${version} (${commit})`)
    throw new Error(`${native} --version says ${reported}, package.json ${version} and git ${commit}`);
  const parameters = parseDocs((await execa(native, ['config', '--docs'])).stdout);
  const configYaml = renderDefaultConfig(parameters, version);
  // The manual page from the CLI's definition, the exit codes and the parameters the executable lists.
  const manPage = renderManPage({
    version,
    date: gitCommitDate(ROOT),
    summary: SUMMARY,
    commands: COMMANDS,
    globalOptions: GLOBAL_OPTIONS,
    exitCodes: EXIT_CODE_DOCS,
    parameters: parameters.map((p) => ({ key: p.key, default: p.default || undefined, doc: p.doc })),
  });

  const rpms = await timed('built both RPMs', () =>
    Promise.all(
      TARGETS.map((t) =>
        buildRpm({
          root: ROOT,
          arch: t.arch,
          executable: executables.get(t.arch) ?? '',
          configYaml,
          manPage,
          version,
          release: values.release,
          workDir: join(ROOT, 'build/rpm'),
          outDir: DIST,
        }),
      ),
    ),
  );

  const artifacts = [...executables.values(), ...rpms];
  const sums = await Promise.all(artifacts.map(async (a) => `${await sha256File(a)}  ${basename(a)}\n`));
  await writeFile(join(DIST, 'SHA256SUMS'), sums.join(''));
  for (const a of artifacts) log(`${basename(a)}: ${((await stat(a)).size / 2 ** 20).toFixed(1)} MiB`);
  await writeFile(STAMP, `${digest}\n`);
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
