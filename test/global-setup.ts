// Runs once per test run: removes labs left by killed runs, builds the agent bundle the lab tests execute.
import { execFileSync } from 'node:child_process';
import { cleanupLeftovers } from './lab/net/leftovers.ts';

export default async function setup() {
  await cleanupLeftovers();
  execFileSync(process.execPath, ['scripts/build.mjs'], {
    stdio: 'inherit',
    env: { ...process.env, QUIET_BUILD: '1' },
  });
  return async () => {
    await cleanupLeftovers();
  };
}
