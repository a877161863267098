// Command line of scripts/render-userdata: reads the files named by flags, prints (or writes) the userdata.
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { VERSION } from '../../agent/version.ts';
import { type NodeOs, renderUserdata, UserdataError } from './render.ts';

const USAGE = `usage: scripts/render-userdata --os al2023|al2 --config agent-config.yaml [options] > userdata.mime

  --os al2023|al2          the node's AMI family
  --config FILE            the agent config the node gets (/etc/outposts-node-agent/config.yaml); validated here
  --agent-url URL          s3://bucket/key or https://… of the RPM (*.rpm) or the executable; omit when the AMI has it
  --agent-sha256 HEX       its SHA-256 (from dist/SHA256SUMS); required with --agent-url
  --nodeconfig FILE        AL2023: your own NodeConfig part (default: made from the config's cluster section)
  --instance-storage DIR   format and mount the instance-store NVMe disks at DIR (RAID 0 when several)
  --user-script FILE       an extra script (#!…) run after the agent is up; repeatable, kept in order
  --output FILE            write there instead of standard output
`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      os: { type: 'string' },
      config: { type: 'string' },
      'agent-url': { type: 'string' },
      'agent-sha256': { type: 'string' },
      nodeconfig: { type: 'string' },
      'instance-storage': { type: 'string' },
      'user-script': { type: 'string', multiple: true, default: [] },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const os = values.os as NodeOs | undefined;
  if ((os !== 'al2' && os !== 'al2023') || !values.config)
    throw new UserdataError(`--os al2023|al2 and --config are required\n${USAGE}`);
  if (Boolean(values['agent-url']) !== Boolean(values['agent-sha256']))
    throw new UserdataError('--agent-url and --agent-sha256 go together');
  const read = (path: string) => readFile(path, 'utf8');
  const userdata = renderUserdata({
    os,
    configYaml: await read(values.config),
    agent: values['agent-url']
      ? { url: values['agent-url'], sha256: values['agent-sha256'] ?? '' }
      : undefined,
    nodeConfigYaml: values.nodeconfig ? await read(values.nodeconfig) : undefined,
    instanceStorage: values['instance-storage'],
    userScripts: await Promise.all(
      values['user-script'].map(async (f) => ({ name: basename(f), content: await read(f) })),
    ),
    version: VERSION,
  });
  if (values.output) await writeFile(values.output, userdata);
  else process.stdout.write(userdata);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`render-userdata: ${(err as Error).message}\n`);
  process.exitCode = err instanceof UserdataError || (err as NodeJS.ErrnoException).code ? 2 : 1;
}
