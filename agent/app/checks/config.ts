// The config check: every problem of the configuration as given, by key (the other checks ran with its defaults).
import { fail, pass } from '../../model/checks.ts';
import type { CheckDef } from './context.ts';

export const configChecks: CheckDef[] = [
  {
    id: 'config.valid',
    group: 'config',
    title: 'the configuration (file, environment, --set) is valid',
    timeoutMs: 100,
    async run(ctx) {
      const problems = ctx.configProblems;
      if (!problems.length) return pass('no problems');
      return fail(
        problems
          .map(
            (p) =>
              `${p.key}: ${p.message}${p.value === undefined ? '' : ` (got ${JSON.stringify(p.value)})`}`,
          )
          .join('; '),
        'every key valid',
        'fix the keys named (`outposts-node-agent config` prints the effective config and the problems; `config --docs` every parameter); the other checks used the defaults for them',
      );
    },
  },
];
