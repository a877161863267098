#!/usr/bin/env node
// Entry point. `--version` and `--help` are answered here, without loading yargs or anything else (a packaged
// executable answers in a few ms: `npm run bench`, P3); every other command line goes to the yargs surface.
import { VERSION_LINE } from './version.ts';

/** The top-level `--help` text, rendered by yargs when the executable is built (packaging/compile.ts). */
declare const __AGENT_HELP__: string | undefined;

const args = process.argv.slice(2);
const only = args.length === 1 ? args[0] : undefined;
if (only === '--version') process.stdout.write(`${VERSION_LINE}\n`);
else if (only === '--help' && typeof __AGENT_HELP__ === 'string') process.stdout.write(__AGENT_HELP__);
else await (await import('./cli/main.ts')).main();
