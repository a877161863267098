// Times process starts from a small, fresh Node process: a parent with a large heap (the bench itself, under tsx)
// takes milliseconds longer to fork, which would be charged to every command timed from it.
// Input (argv[2]): JSON { runs, commands: [{ id, argv }] }. Output: JSON { id: [ms, ...] }, after one warm-up each.
import { spawnSync } from 'node:child_process';

const { runs, commands } = JSON.parse(process.argv[2] ?? '{}');
const once = (argv) => {
  const started = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
};
const times = Object.fromEntries(commands.map((c) => [c.id, []]));
for (const c of commands) once(c.argv);
for (let i = 0; i < runs; i++) for (const c of commands) times[c.id].push(once(c.argv));
process.stdout.write(JSON.stringify(times));
