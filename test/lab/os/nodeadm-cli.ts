// Runs the nodeadm stand-in inside a lab node's namespace, as nodeadm-run.service would after cloud-final.
// Usage: nodeadm-cli.ts --root <host root> [--config-source URL]...   (default: nodeadm-run.service's sources;
// IMDS at AWS_EC2_METADATA_SERVICE_ENDPOINT, IMDSv2)
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NODEADM_RUN_SOURCES, NodeadmError, nodeadmRun } from './nodeadm.ts';

const root = process.argv[process.argv.indexOf('--root') + 1] ?? '/';
const sources = process.argv.flatMap((a, i) => (a === '--config-source' ? [process.argv[i + 1] ?? ''] : []));
const endpoint = (process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? 'http://169.254.169.254/').replace(
  /\/$/,
  '',
);
const at = (path: string) => join(root, path);
let token: Promise<string> | undefined;

async function imds(path: string): Promise<string | undefined> {
  token ??= fetch(`${endpoint}/latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '600' },
  }).then((r) => r.text());
  const t = await token;
  const r = await fetch(`${endpoint}/latest/${path}`, { headers: { 'X-aws-ec2-metadata-token': t } });
  if (r.status === 404) return undefined;
  if (!r.ok) throw new NodeadmError(`IMDS ${path}: ${r.status}`);
  return r.text();
}

try {
  const result = await nodeadmRun(
    {
      imds,
      readDir: (path) => readdir(at(path)).catch(() => undefined),
      readFile: (path) => readFile(at(path), 'utf8').catch(() => undefined),
      writeFile: async (path, content) => {
        await mkdir(dirname(at(path)), { recursive: true });
        await writeFile(at(path), content);
      },
      log: (level, msg) => process.stderr.write(`${JSON.stringify({ level, msg })}\n`),
    },
    sources.length ? sources : NODEADM_RUN_SOURCES,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
  // cli/main.go: log.Fatal("Command failed", err) — exit 1.
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', msg: 'Command failed', error: (err as Error).message })}\n`,
  );
  process.exit(1);
}
