// `npm run lab:endpoints -- --port N [--fixture f.json]`: the lab's EC2 (port N) and IMDS (N+1) endpoints on loopback.
import { parseArgs } from 'node:util';
import { DEFAULT_FIXTURE_PATH, loadFixture } from './ec2/fixture.ts';
import { startEc2Server } from './ec2/server.ts';
import { Ec2State } from './ec2/state.ts';
import { startImdsServer } from './imds/server.ts';

const USAGE = 'usage: npm run lab:endpoints -- [--port N] [--host 127.0.0.1] [--fixture file.json]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      fixture: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65534)
    throw new Error(`invalid --port ${values.port}\n${USAGE}`);
  const fixturePath = values.fixture ?? DEFAULT_FIXTURE_PATH;
  const state = new Ec2State({ fixture: await loadFixture(fixturePath) });
  const ec2 = await startEc2Server({ state, host: values.host, port });
  const imds = await startImdsServer({ state, host: values.host, port: port === 0 ? 0 : port + 1 });
  const firstInstance = state.instances()[0]?.instanceId ?? 'i-…';
  process.stdout.write(
    [
      `fixture: ${fixturePath}`,
      `EC2:  ${ec2.url}`,
      `IMDS: ${imds.url}  (loopback callers pick an instance with header x-lab-instance-id; default ${firstInstance})`,
      '',
      'try:',
      `  AWS_ACCESS_KEY_ID=lab AWS_SECRET_ACCESS_KEY=lab AWS_EC2_METADATA_DISABLED=true \\`,
      `    /usr/bin/aws --endpoint-url ${ec2.url} --region ${state.region} ec2 describe-network-interfaces`,
      `  TOKEN=$(curl -s -X PUT -H 'x-aws-ec2-metadata-token-ttl-seconds: 60' ${imds.url}/latest/api/token)`,
      `  curl -s -H "x-aws-ec2-metadata-token: $TOKEN" ${imds.url}/latest/meta-data/network/interfaces/macs/`,
      '',
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    state.dispose();
    await Promise.all([ec2.close(), imds.close()]);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
