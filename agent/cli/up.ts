// `up`: flags → options → app/up.
import { NotImplementedError } from '../errors.ts';
import type { GlobalArgs } from './common.ts';

export async function run(_args: GlobalArgs): Promise<void> {
  throw new NotImplementedError('up');
}
