// scripts/render-userdata: MIME structure (parsed with postal-mime), part order, limits, and the install script run for real.
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { agentScript } from '../../scripts/userdata/parts.ts';
import {
  renderUserdata,
  USERDATA_LIMIT,
  UserdataError,
  type UserdataOptions,
} from '../../scripts/userdata/render.ts';
import { ROOT } from './artifacts.ts';

const CLUSTER = {
  name: 'edge',
  apiServerEndpoint: 'https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com',
  certificateAuthority: Buffer.from(
    '-----BEGIN CERTIFICATE-----\nnot a real CA\n-----END CERTIFICATE-----\n',
  ).toString('base64'),
  serviceCidr: '172.20.0.0/16',
};
const CONFIG = YAML.stringify({
  cluster: CLUSTER,
  addressing: { mode: 'static', address: '192.0.2.10/24', gateway: '192.0.2.1' },
  routes: { onPrem: ['198.51.100.0/24'] },
});
const SHA = 'ab'.repeat(32);
const base: UserdataOptions = { os: 'al2023', configYaml: CONFIG, version: '9.9.9' };

interface Part {
  type: string;
  filename: string | null;
  text: string;
}

async function parts(userdata: string): Promise<Part[]> {
  const email = await PostalMime.parse(userdata);
  return email.attachments.map((a) => ({
    type: a.mimeType,
    filename: a.filename,
    text: typeof a.content === 'string' ? a.content : new TextDecoder().decode(a.content),
  }));
}

async function bashSyntaxOk(script: string): Promise<void> {
  const r = await execa('bash', ['-n'], { input: script, reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
}

describe('render-userdata', () => {
  it('AL2023: NodeConfig first, then storage, agent and user scripts in filename order, all valid bash', async () => {
    const userdata = renderUserdata({
      ...base,
      agent: { url: 's3://bucket/rel/outposts-node-agent-9.9.9-1.x86_64.rpm', sha256: SHA },
      instanceStorage: '/mnt/instance-store',
      userScripts: [
        { name: 'b.sh', content: '#!/bin/bash\necho b\n' },
        { name: 'a.sh', content: '#!/bin/bash\necho a\n' },
      ],
    });
    expect(userdata).toMatch(/^MIME-Version: 1\.0\nContent-Type: multipart\/mixed; boundary="/);
    const p = await parts(userdata);
    expect(p.map((x) => [x.type, x.filename])).toEqual([
      ['application/node.eks.aws', null],
      ['text/x-shellscript', '10-instance-storage.sh'],
      ['text/x-shellscript', '20-outposts-node-agent.sh'],
      ['text/x-shellscript', '30-01-b.sh'],
      ['text/x-shellscript', '30-02-a.sh'],
    ]);
    const names = p.flatMap((x) => (x.filename ? [x.filename] : []));
    expect([...names].sort()).toEqual(names); // cloud-init runs scripts sorted by file name
    expect(YAML.parse(p[0]?.text ?? '')).toEqual({
      apiVersion: 'node.eks.aws/v1alpha1',
      kind: 'NodeConfig',
      spec: {
        cluster: {
          name: CLUSTER.name,
          apiServerEndpoint: CLUSTER.apiServerEndpoint,
          certificateAuthority: CLUSTER.certificateAuthority,
          cidr: CLUSTER.serviceCidr,
        },
      },
    });
    const agent = p[2]?.text ?? '';
    expect(agent).toContain(`aws s3 cp --only-show-errors "$AGENT_URL"`);
    expect(agent).toContain(`AGENT_SHA256='${SHA}'`);
    expect(agent).toContain('rpm -U --replacepkgs --oldpackage');
    expect(agent).toContain(CONFIG);
    expect(agent.indexOf('"$agent" up')).toBeLessThan(agent.indexOf('systemctl start'));
    for (const x of p.slice(1)) await bashSyntaxOk(x.text);
    expect(p[3]?.text.trimEnd()).toBe('#!/bin/bash\necho b');
    console.info(
      `AL2023 userdata with every part: ${Buffer.byteLength(userdata)} of ${USERDATA_LIMIT} bytes`,
    );
  });

  it('AL2: no NodeConfig part; an HTTPS executable is fetched with curl; without a URL the AMI must have the agent', async () => {
    const https = await parts(
      renderUserdata({
        ...base,
        os: 'al2',
        agent: { url: 'https://example.com/a/outposts-node-agent-linux-x86_64?sig=1', sha256: SHA },
      }),
    );
    expect(https.map((x) => x.filename)).toEqual(['20-outposts-node-agent.sh']);
    expect(https[0]?.text).toContain('curl -fsSL --proto =https');
    expect(https[0]?.text).toContain('install -D -m 0755 "$tmp/agent" /usr/local/bin/outposts-node-agent');
    const baked = (await parts(renderUserdata({ ...base, os: 'al2' })))[0]?.text ?? '';
    expect(baked).toContain('command -v outposts-node-agent');
    expect(baked).toContain('"$agent" up');
    expect(baked).not.toContain('AGENT_URL');
    await bashSyntaxOk(baked);
  });

  it('AL2023: a NodeConfig of your own is passed through; without one the cluster section must be complete', async () => {
    const own = 'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: mine\n';
    const p = await parts(renderUserdata({ ...base, nodeConfigYaml: own }));
    expect(p[0]?.text.trimEnd()).toBe(own.trimEnd());
    const partial = YAML.stringify({ cluster: { name: 'edge' } });
    expect(() => renderUserdata({ ...base, configYaml: partial })).toThrow(
      /cluster\.apiServerEndpoint, cluster\.certificateAuthority, cluster\.serviceCidr/,
    );
    expect(() => renderUserdata({ ...base, nodeConfigYaml: 'kind: Pod\n' })).toThrow(/not a NodeConfig/);
    expect(() => renderUserdata({ ...base, os: 'al2', nodeConfigYaml: own })).toThrow(/AL2023 only/);
  });

  it('refuses what would break on the node: bad config, bad URL or hash, a script without #!, the heredoc marker', () => {
    const cases: [Partial<UserdataOptions>, RegExp][] = [
      [{ configYaml: 'lni:\n  mtu: 12\n' }, /--config: invalid configuration[\s\S]*lni\.mtu/],
      [{ agent: { url: 'http://example.com/x', sha256: SHA } }, /s3:\/\/… or https:\/\//],
      [{ agent: { url: 's3://b/k', sha256: 'abc' } }, /64 hex digits/],
      [{ userScripts: [{ name: 'x', content: 'echo no shebang' }] }, /must start with #!/],
      [{ instanceStorage: 'relative/dir' }, /absolute path/],
    ];
    expect(() => agentScript({ configYaml: 'a: 1\nOUTPOSTS_NODE_AGENT_CONFIG_EOF\n', version: '1' })).toThrow(
      /contains the line/,
    );
    for (const [o, message] of cases)
      expect(() => renderUserdata({ ...base, ...o }), String(message)).toThrow(message);
  });

  it(`stays under EC2's ${USERDATA_LIMIT}-byte limit or says which part is too big`, () => {
    const big = `#!/bin/bash\n${'echo padding-padding-padding\n'.repeat(600)}`;
    let err: unknown;
    try {
      renderUserdata({ ...base, userScripts: [{ name: 'big.sh', content: big }] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserdataError);
    expect(String(err)).toMatch(/userdata is \d+ bytes, over EC2's 16384; parts: .*30-01-big\.sh \d+/);
    const fits = renderUserdata({ ...base, userScripts: [{ name: 'fits.sh', content: big.slice(0, 8000) }] });
    expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(USERDATA_LIMIT);
  });

  it('the command-line wrapper renders to a file and exits 2 on a bad invocation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ona-ud-'));
    try {
      await writeFile(join(dir, 'config.yaml'), CONFIG);
      const ok = await execa(join(ROOT, 'scripts/render-userdata'), [
        '--os',
        'al2023',
        '--config',
        join(dir, 'config.yaml'),
        '--output',
        join(dir, 'userdata'),
      ]);
      expect(ok.stdout).toBe('');
      expect((await parts(await readFile(join(dir, 'userdata'), 'utf8'))).length).toBe(2);
      const bad = await execa(join(ROOT, 'scripts/render-userdata'), ['--os', 'al1'], { reject: false });
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toContain('usage: scripts/render-userdata');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the rendered install script, run in a private mount namespace', () => {
  let dir: string;
  /** Stands in for the agent: records its arguments where the test can read them. */
  const agentStub = '#!/bin/sh\necho "$*" >> "$AGENT_CALLS"\n';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ona-ud-run-'));
    await mkdir(join(dir, 'bin'));
    // `aws s3 cp s3://… DEST` copies the fixture: the script's own download, checksum and install steps all run.
    await writeFile(join(dir, 'bin/aws'), `#!/bin/sh\ncp ${join(dir, 'agent-fixture')} "$5"\n`);
    await chmod(join(dir, 'bin/aws'), 0o755);
    await writeFile(join(dir, 'agent-fixture'), agentStub);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** /etc and /usr/local/bin are overlays in a throwaway mount namespace: the host's stay untouched. */
  async function runScript(sha256: string) {
    const script = (
      await parts(renderUserdata({ ...base, os: 'al2', agent: { url: 's3://bucket/agent', sha256 } }))
    )[0]?.text;
    const run = join(dir, `run-${sha256.slice(0, 8)}`);
    await mkdir(run, { recursive: true });
    await writeFile(join(run, 'userdata.sh'), script ?? '');
    const overlay = (target: string, name: string) =>
      `mkdir -p ${run}/${name}/up ${run}/${name}/work && mount -t overlay overlay -o lowerdir=${target},upperdir=${run}/${name}/up,workdir=${run}/${name}/work ${target}`;
    // The script runs with nothing of this process's environment but PATH (the stub aws first) and AGENT_CALLS,
    // as cloud-init would run it: no shell start-up file or inherited PATH can put another aws ahead of the stub.
    const path = `${join(dir, 'bin')}:/usr/sbin:/usr/bin:/sbin:/bin`;
    const sandbox = [
      overlay('/etc', 'etc'),
      overlay('/usr/local/bin', 'bin'),
      // Said on stderr, for a failure's message: which aws the script will run.
      `env -i PATH=${path} sh -c 'echo "aws is $(command -v aws)" >&2'`,
      `env -i PATH=${path} AGENT_CALLS=${join(run, 'agent-calls')} bash ${run}/userdata.sh`,
      `cp /etc/outposts-node-agent/config.yaml ${run}/written-config.yaml`,
    ].join(' && ');
    const r = await execa('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', sandbox], {
      env: { PATH: path },
      extendEnv: false,
      reject: false,
    });
    const calls = await readFile(join(run, 'agent-calls'), 'utf8').catch(() => '');
    return { ...r, run, calls };
  }

  it('installs the executable whose SHA-256 matches, writes the config and runs up', async () => {
    const sha = createHash('sha256').update(agentStub).digest('hex');
    const r = await runScript(sha);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await readFile(join(r.run, 'bin/up/outposts-node-agent'), 'utf8')).toBe(agentStub);
    expect(await readFile(join(r.run, 'written-config.yaml'), 'utf8')).toBe(CONFIG);
    expect(r.calls).toBe('up\n');
  });

  it('stops before installing anything when the SHA-256 does not match', async () => {
    const r = await runScript('0'.repeat(64));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('SHA-256 mismatch');
    expect(r.calls).toBe('');
    await expect(readFile(join(r.run, 'bin/up/outposts-node-agent'))).rejects.toThrow();
  });
});
