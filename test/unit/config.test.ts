// Config loading: defaults, precedence (file < env < flags), and errors that name the bad key and value.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeParameters } from '../../agent/config/docs.ts';
import { loadConfig, validateConfig } from '../../agent/config/loader.ts';
import { ConfigError, ExitCode } from '../../agent/errors.ts';

function problemsOf(tree: unknown): { key: string; message: string; value?: unknown }[] {
  try {
    validateConfig(tree);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(ExitCode.config);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('fills every default from the schema', () => {
    const c = validateConfig({ cluster: { name: 'edge' } });
    expect(c.lni.mtu).toBe(1500);
    expect(c.addressing).toEqual({ mode: 'dhcp', timeoutSeconds: 30, client: 'auto' });
    expect(c.routes).toEqual({ onPrem: [], table: 200, rulePriority: 2000 });
    expect(c.sysctls).toEqual({ arpIgnore: 1, arpAnnounce: 2, rpFilter: 2 });
    expect(c.join.mode).toBe('auto');
  });

  it.each([
    ['device index 0', { lni: { deviceIndex: 0 } }, 'lni.deviceIndex', 0],
    ['unknown key', { lni: { bogus: 1 } }, 'lni.bogus', 1],
    ['wrong type', { lni: { mtu: 'big' } }, 'lni.mtu', 'big'],
    ['bad CIDR', { routes: { onPrem: ['10.1.0.1/16'] } }, 'routes.onPrem.0', '10.1.0.1/16'],
    [
      'bad address',
      { addressing: { mode: 'static', address: '192.0.2.300/24' } },
      'addressing.address',
      '192.0.2.300/24',
    ],
    [
      'gateway outside the address',
      { addressing: { mode: 'static', address: '192.0.2.10/24', gateway: '198.51.100.1' } },
      'addressing.gateway',
      '198.51.100.1',
    ],
    [
      'pool end before start',
      { addressing: { mode: 'pool', start: '192.0.2.20', end: '192.0.2.10', prefixLength: 24 } },
      'addressing.end',
      '192.0.2.10',
    ],
    ['unknown addressing mode', { addressing: { mode: 'magic' } }, 'addressing.mode', 'magic'],
    ['bad subnet id', { lni: { subnetId: 'sub-1' } }, 'lni.subnetId', 'sub-1'],
  ])('rejects %s naming the key and the value', (_name, extra, key, value) => {
    const problems = problemsOf({ cluster: { name: 'edge' }, ...extra });
    expect(problems).toContainEqual(expect.objectContaining({ key, value }));
  });

  it('requires a cluster name unless join is off', () => {
    expect(problemsOf({})).toContainEqual(expect.objectContaining({ key: 'cluster.name' }));
    expect(validateConfig({ join: { mode: 'none' } }).join.mode).toBe('none');
  });

  it('lists every problem at once', () => {
    expect(problemsOf({ lni: { deviceIndex: 0, mtu: 1 }, bogus: true })).toHaveLength(3);
  });

  it('lets environment override the file and flags override both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ona-config-'));
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'cluster: { name: from-file }\nlni: { mtu: 1400 }\nroutes: { table: 100 }\n');
    const c = await loadConfig({
      file,
      explicitFile: true,
      env: { OUTPOSTS_NODE_AGENT__LNI__MTU: '1450', OUTPOSTS_NODE_AGENT__ROUTES__RULE_PRIORITY: '3000' },
      sets: ['lni.mtu=1480', 'routes.onPrem=[198.51.100.0/24]'],
    });
    expect(c.cluster.name).toBe('from-file');
    expect(c.lni.mtu).toBe(1480);
    expect(c.routes).toMatchObject({ table: 100, rulePriority: 3000, onPrem: ['198.51.100.0/24'] });
  });

  it('fails on a missing explicit file but not on a missing default file', async () => {
    await expect(loadConfig({ file: '/nonexistent/x.yaml', explicitFile: true })).rejects.toThrow(
      /cannot read/,
    );
    await expect(loadConfig({ file: '/nonexistent/x.yaml', sets: ['join.mode=none'] })).resolves.toBeTruthy();
  });

  it('documents every parameter with a default or a doc line', () => {
    const params = describeParameters();
    expect(params.map((p) => p.key)).toEqual(
      expect.arrayContaining([
        'lni.deviceIndex',
        'addressing.mode',
        'routes.table',
        'sweep.gracePeriodSeconds',
      ]),
    );
    for (const p of params) expect(p.doc, p.key).not.toBe('');
  });
});
