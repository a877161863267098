// The SSM document's script, run as Run Command would on a lab node: it finds the agent where the RPM or the
// rendered userdata installed it (/usr/bin, /usr/local/bin, PATH) and returns diagnose's JSON report.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.ts';

const DOC = join(import.meta.dirname, '../../packaging/ssm/outposts-node-agent-diagnose.json');

describe('SSM document outposts-node-agent-diagnose', () => {
  let lab: Lab;
  let script = '';
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1 });
    const doc = JSON.parse(await readFile(DOC, 'utf8'));
    // What SSM does with the parameter before running the step.
    script = (doc.mainSteps[0].inputs.runCommand as string[]).join('\n').replaceAll('{{ format }}', 'json');
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  /** Runs the step with /usr/local/bin replaced by a private directory holding `agent` (or nothing). */
  const runStep = async (agent: boolean) => {
    const node = lab.node(1);
    const wrapper = join(node.dir, 'ssm-agent-wrapper');
    await writeFile(wrapper, `#!/bin/sh\nexec ${Lab.agentCommand().join(' ')} "$@"\n`, { mode: 0o755 });
    const install = agent ? `cp ${wrapper} /usr/local/bin/outposts-node-agent && ` : '';
    return lab.net.exec(
      node.ns,
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount -t tmpfs tmpfs /usr/local/bin && ${install}exec bash -c "$0"`,
        script,
      ],
      {
        reject: false,
        stdin: 'ignore',
        env: {
          ...node.env,
          OUTPOSTS_NODE_AGENT__CLUSTER__NAME: 'edge-lab',
          PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        },
        extendEnv: false,
      },
    );
  };

  it('finds the executable in /usr/local/bin (userdata’s install) and prints the JSON report', async () => {
    const r = await runStep(true);
    expect(String(r.stdout), String(r.stderr)).not.toBe('');
    const report = JSON.parse(String(r.stdout)) as { checks: { id: string; status: string }[] };
    expect(report.checks.find((c) => c.id === 'imds.reachable')?.status).toBe('pass');
    expect([0, 8]).toContain(r.exitCode);
  });

  it('negative control: with no executable anywhere it exits 127 and says where it looked', async () => {
    const r = await runStep(false);
    expect(r.exitCode).toBe(127);
    expect(String(r.stderr)).toContain('looked in /usr/bin, /usr/local/bin and PATH');
  });
});
