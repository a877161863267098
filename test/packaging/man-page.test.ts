// outposts-node-agent(8) as shipped in the RPM: renders without a warning (groff -ww, man --warnings) and lists every
// command, option, exit code and config parameter the executable has.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, GLOBAL_OPTIONS } from '../../agent/cli/commands.ts';
import { EXIT_CODE_DOCS } from '../../agent/errors.ts';
import { VERSION } from '../../agent/version.ts';
import { parseDocs } from '../../packaging/default-config.ts';
import { roff } from '../../packaging/man-page.ts';
import { DIST, ensurePackaged, nativeExecutable, PACKAGE_TIMEOUT_MS } from './artifacts.ts';

describe('manual page', () => {
  let dir: string;
  let page: string;
  let rendered: string;

  beforeAll(async () => {
    await ensurePackaged();
    dir = await mkdtemp(join(tmpdir(), 'ona-man-'));
    const rpm = join(DIST, `outposts-node-agent-${VERSION}-1.x86_64.rpm`);
    await execa('sh', ['-c', `rpm2cpio '${rpm}' | cpio -idm --quiet './usr/share/man/*'`], { cwd: dir });
    page = join(dir, 'usr/share/man/man8/outposts-node-agent.8.gz');
    rendered = (await execa('man', ['-l', page], { env: { MANWIDTH: '100', LC_ALL: 'C.UTF-8' } })).stdout;
  }, PACKAGE_TIMEOUT_MS);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is section 8, gzip-compressed, and renders with no warning from groff -ww or man --warnings', async () => {
    const roffText = (await execa('gzip', ['-dc', page])).stdout;
    expect(roffText).toMatch(
      /^\.TH OUTPOSTS\\-NODE\\-AGENT 8 "\d{4}-\d{2}-\d{2}" "outposts\\-node\\-agent /m,
    );
    const groff = await execa('groff', ['-ww', '-man', '-z'], { input: roffText, reject: false });
    expect(groff.stderr).toBe('');
    expect(groff.exitCode).toBe(0);
    const man = await execa('man', ['--warnings', '-l', page], {
      env: { MANWIDTH: '80', LC_ALL: 'C.UTF-8' },
      reject: false,
    });
    expect(man.stderr).toBe('');
    expect(man.exitCode).toBe(0);
    // Negative control: the same groff run does warn about a page with an unknown request.
    const broken = await execa('groff', ['-ww', '-man', '-z'], {
      input: `${roffText}\n.BOGUS x\n`,
      reject: false,
    });
    expect(broken.stderr).toMatch(/BOGUS|not defined/);
  });

  it('lists every command with its options, every global option, every exit code', () => {
    const text = rendered.replace(/‐\n\s*/g, '').replace(/\s+/g, ' ');
    for (const c of COMMANDS) {
      expect(rendered, c.name).toMatch(new RegExp(`^ {3}${c.name}$`, 'm'));
      for (const o of Object.keys(c.options)) expect(text, `${c.name} --${o}`).toContain(`--${o}`);
    }
    for (const o of Object.keys(GLOBAL_OPTIONS)) expect(text).toContain(`--${o}`);
    const exit = rendered.slice(rendered.indexOf('EXIT STATUS'), rendered.indexOf('ENVIRONMENT'));
    for (const code of Object.keys(EXIT_CODE_DOCS)) expect(exit).toMatch(new RegExp(`^ {7}${code} `, 'm'));
  });

  it('lists every config parameter the executable documents, with its default', async () => {
    const params = parseDocs((await execa(nativeExecutable(), ['config', '--docs'])).stdout);
    const text = rendered.replace(/‐\n\s*/g, '').replace(/\s+/g, ' ');
    expect(params.length).toBeGreaterThan(40);
    for (const p of params) {
      expect(text, p.key).toContain(p.key);
      if (p.default) expect(text, `${p.key} default`).toContain(`(default ${p.default}`);
    }
  });

  it('escapes roff: a leading dot, backslashes and hyphens cannot become requests or lose their meaning', () => {
    expect(roff('.TH not a request')).toBe('\\&.TH not a request');
    expect(roff('a\\b --c')).toBe('a\\eb \\-\\-c');
    expect(roff('x … ≥ →')).toBe('x ... \\(>= \\(->');
  });
});
