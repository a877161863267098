// IMDS checks: reachable, IMDSv2 token flow, IMDSv1 disabled (a warn when not), response time.
import { fail, pass, skip, warn } from '../../model/checks.ts';
import type { ImdsExchange } from '../../ports/imds.ts';
import { BOUNDS, type CheckDef, type DiagnoseContext } from './context.ts';

export const IMDS_HINT =
  'check the instance metadata options (http-endpoint enabled; hop limit 2 when the agent runs in a container) and that no firewall rule drops 169.254.169.254';
/** Above this an IMDS round trip is slow (the agent's own IMDS reads give up after 2 s each). */
export const IMDS_SLOW_MS = 250;

const NO_ANSWER = 'needs an answer from IMDS: none came';
const status = (e: ImdsExchange) => (e.status ? `HTTP ${e.status}` : `no answer (${e.error ?? 'timeout'})`);

async function instanceIdOr(ctx: DiagnoseContext): Promise<string> {
  return ctx.instance().then(
    (i) => i.instanceId,
    () => '<instance-id>',
  );
}

const imds = (def: Omit<CheckDef, 'group' | 'timeoutMs'>): CheckDef => ({
  group: 'imds',
  timeoutMs: BOUNDS.imds,
  ...def,
});

export const imdsChecks: CheckDef[] = [
  imds({
    id: 'imds.reachable',
    title: 'IMDS answers',
    async run(ctx) {
      const p = await ctx.imdsProbe();
      const answered = [p.token, p.tokenless].find((e) => e.status > 0);
      return answered
        ? pass(`${status(answered)} in ${answered.ms} ms`)
        : fail(status(p.token), 'an HTTP answer from 169.254.169.254', IMDS_HINT);
    },
  }),
  imds({
    id: 'imds.v2',
    title: 'IMDSv2 token issued and accepted',
    async run(ctx) {
      const p = await ctx.need(ctx.imdsProbe(), 'an answer from IMDS');
      if (!p.token.status && !p.tokenless.status) return skip(NO_ANSWER);
      if (p.token.status !== 200)
        return fail(
          `token request: ${status(p.token)}`,
          'HTTP 200 with a token',
          'IMDSv2 tokens must be available: enable the metadata endpoint; a PUT with X-Forwarded-For is refused (proxies)',
        );
      if (p.read?.status !== 200)
        return fail(
          `read with the token: ${p.read ? status(p.read) : 'not sent'}`,
          'HTTP 200',
          'IMDS refuses its own token: check the clock and that nothing between the agent and IMDS rewrites headers',
        );
      return pass(`token in ${p.token.ms} ms, read in ${p.read.ms} ms`);
    },
  }),
  imds({
    id: 'imds.v1-disabled',
    title: 'IMDSv1 (token-less reads) disabled',
    async run(ctx) {
      const { tokenless } = await ctx.need(ctx.imdsProbe(), 'an answer from IMDS');
      if (!tokenless.status) return skip(NO_ANSWER);
      if (tokenless.status === 401) return pass('token-less read refused (HTTP 401)');
      return warn(
        `token-less read answered ${status(tokenless)}: IMDSv1 is enabled`,
        'HTTP 401 (http-tokens required)',
        `require IMDSv2: aws ec2 modify-instance-metadata-options --instance-id ${await instanceIdOr(ctx)} --http-tokens required`,
      );
    },
  }),
  imds({
    id: 'imds.latency',
    title: 'IMDS response time',
    async run(ctx) {
      const p = await ctx.need(ctx.imdsProbe(), 'an answer from IMDS');
      const answered = [p.token, p.read, p.tokenless].filter(
        (e): e is ImdsExchange => e !== undefined && e.status > 0,
      );
      if (!answered.length) return skip(NO_ANSWER);
      // The fastest exchange: the first one also pays for this process's own start-up (module loading).
      const fastest = Math.min(...answered.map((e) => e.ms));
      const seen = `fastest round trip ${fastest} ms (${answered.map((e) => `${e.ms}`).join('/')} ms)`;
      return fastest <= IMDS_SLOW_MS
        ? pass(seen, `≤ ${IMDS_SLOW_MS} ms`)
        : warn(
            seen,
            `≤ ${IMDS_SLOW_MS} ms`,
            'IMDS answers slowly (the agent gives each IMDS read 2 s): check host load and throttling of metadata requests',
          );
    },
  }),
];
