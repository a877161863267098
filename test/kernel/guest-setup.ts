// Runs once in the kernel lab's guest before its tests: the agent must be the compiled executable (no bundle build
// under emulation), and no lab is left over.
import { cleanupLeftovers } from '../lab/net/leftovers.ts';

export default async function setup() {
  if (!process.env.AGENT_BIN) throw new Error('the kernel tests run the compiled agent: set AGENT_BIN');
  await cleanupLeftovers();
  return async () => {
    await cleanupLeftovers();
  };
}
