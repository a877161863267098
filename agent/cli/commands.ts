// The command line as data: every command, its one-line description and options, and the global options. yargs
// builds the parser from it (cli/main.ts) and packaging builds the manual page from it, so neither can drift.
import type { Options } from 'yargs';

// biome-ignore lint/suspicious/noExplicitAny: each command narrows the parsed argv to its own options
export type Handler = (args: any) => Promise<unknown>;

export interface CommandSpec {
  name: string;
  describe: string;
  options: Record<string, Options>;
  /** The command's module, imported only when it runs (so --help never loads the AWS SDK). */
  load: () => Promise<{ run: Handler }>;
}

export const USAGE = '$0 <command> [options]';
export const SUMMARY = 'Gives an EKS node on an AWS Outposts server a working Local Network Interface.';

export const GLOBAL_OPTIONS: Record<string, Options> = {
  config: {
    alias: 'c',
    type: 'string',
    describe: 'config file (YAML or JSON); default /etc/outposts-node-agent/config.yaml if present',
  },
  set: {
    type: 'string',
    array: true,
    describe: 'override one parameter, e.g. --set lni.mtu=1500 (repeatable)',
  },
  'dry-run': { type: 'boolean', default: false, describe: 'print the plan, change nothing' },
  'log-format': {
    choices: ['auto', 'text', 'json'],
    default: 'auto',
    describe: 'log format on stderr (auto: text on a TTY, JSON lines otherwise)',
  },
  'log-level': {
    choices: ['debug', 'info', 'warn', 'error'],
    default: 'info',
    describe: 'least severe log level shown',
  },
};

const json = (describe: string): Options => ({ type: 'boolean', default: false, describe });
const reportJson = json('the report as JSON (docs/diagnose-schema.json)');

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'up',
    describe: 'discover, own exactly one LNI, configure it on the host, join EKS',
    options: { json: json('print the result as JSON') },
    load: () => import('./up.ts'),
  },
  {
    name: 'release',
    describe: 'undo what the state file says this agent created',
    options: {
      reason: {
        choices: ['manual', 'stop', 'terminate'],
        default: 'manual',
        describe:
          'manual: undo all; stop: systemd stop (policy release.onStop, or onTerminate when the ASG says Terminated); terminate: policy release.onTerminate',
      },
      json: json('print what was undone as JSON'),
    },
    load: () => import('./release.ts'),
  },
  {
    name: 'sweep',
    describe: "delete orphaned ENIs that carry this agent's tags",
    options: {
      region: { type: 'string', describe: 'region to sweep (default: from IMDS)' },
      json: json('print the result as JSON'),
    },
    load: () => import('./sweep.ts'),
  },
  {
    name: 'watch',
    describe: 'keep the LNI host configuration converged',
    options: {},
    load: () => import('./watch.ts'),
  },
  {
    name: 'diagnose',
    describe: 'read-only checks of the node, with hints',
    options: { json: reportJson },
    load: () => import('./diagnose.ts'),
  },
  {
    name: 'preflight',
    describe: 'the checks that can run before up: placement, AMI, LNI subnet, permissions',
    options: { json: reportJson },
    load: () => import('./preflight.ts'),
  },
  {
    name: 'status',
    describe: 'print the state file and what is live',
    options: { json: json('print it as JSON') },
    load: () => import('./status.ts'),
  },
  {
    name: 'config',
    describe: 'print the effective configuration',
    options: {
      print: { type: 'boolean', default: true, describe: 'print the effective config (YAML)' },
      json: json('as JSON'),
      docs: { type: 'boolean', default: false, describe: 'list every parameter, its default and doc' },
    },
    load: () => import('./config.ts'),
  },
];
