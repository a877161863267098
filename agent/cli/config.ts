// `config --print`: show the effective configuration after file, environment and flags; `--docs` lists parameters.
import YAML from 'yaml';
import { describeParameters } from '../config/docs.ts';
import { commandContext, type GlobalArgs } from './common.ts';

export async function run(
  args: GlobalArgs & { print?: boolean; docs?: boolean; json?: boolean },
): Promise<void> {
  if (args.docs) {
    for (const p of describeParameters()) process.stdout.write(`${p.key}\t${p.default ?? ''}\t${p.doc}\n`);
    return;
  }
  const { config } = await commandContext(args);
  process.stdout.write(args.json ? `${JSON.stringify(config, null, 2)}\n` : YAML.stringify(config));
}
