// Runs once per test run: builds the agent bundle the lab tests execute, and removes lab leftovers on exit.
import { execFileSync } from 'node:child_process';

export default function setup() {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
