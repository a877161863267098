// Runs the runner cases through BunRunner under bun (the packaged executable's runtime) and prints the results.
import { BunRunner } from '../../agent/adapters/runner-bun.ts';
import { runCases } from './runner-cases.ts';

const runner = new BunRunner();
const results = await runCases(runner);
process.stdout.write(JSON.stringify({ results, spawns: runner.spawns }));
