// `config --print`: show the effective configuration after file, environment and flags; `--docs` lists parameters.
import YAML from 'yaml';
import { describeParameters } from '../config/docs.ts';
import { ConfigError, ExitCode } from '../errors.ts';
import { commandContext, type GlobalArgs } from './common.ts';

export async function run(
  args: GlobalArgs & { print?: boolean; docs?: boolean; json?: boolean },
): Promise<number> {
  if (args.docs) {
    for (const p of describeParameters()) process.stdout.write(`${p.key}\t${p.default ?? ''}\t${p.doc}\n`);
    return ExitCode.ok;
  }
  // The effective config (defaults where a key is bad), then what is wrong with the one given: exit 2.
  const { config, problems } = await commandContext(args, { lenient: true });
  process.stdout.write(args.json ? `${JSON.stringify(config, null, 2)}\n` : YAML.stringify(config));
  if (!problems.length) return ExitCode.ok;
  process.stderr.write(`outposts-node-agent: ${new ConfigError(problems).message}\n`);
  return ExitCode.config;
}
