// Bundles the agent into one ESM file (dist/agent.mjs) that plain Node runs; packaging compiles from it.
import { build } from 'esbuild';
import { gitCommit } from './git-commit.mjs';

const started = Date.now();
await build({
  entryPoints: ['agent/main.ts'],
  outfile: 'dist/agent.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  define: { __AGENT_COMMIT__: JSON.stringify(gitCommit(process.cwd())) },
  logLevel: 'warning',
});
if (!process.env.QUIET_BUILD) console.error(`built dist/agent.mjs in ${Date.now() - started} ms`);
