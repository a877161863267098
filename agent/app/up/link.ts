// Phase `link`: the LNI's link found by MAC once the kernel shows it, the fence completed with the kernel's name for
// it (other managers' claims undone), and the link renamed to lni.name.
import { HostNetworkError } from '../../errors.ts';
import type { HostStep, LinkFacts } from '../../model/types.ts';
import { applyFences } from '../fence.ts';
import type { UpRun } from './run.ts';

/** The LNI's link once the kernel shows it, and every link seen with it. */
async function waitForLink(run: UpRun, mac: string): Promise<[LinkFacts, LinkFacts[]]> {
  const { deps } = run;
  const timeoutSeconds = run.config.lni.attachTimeoutSeconds;
  const deadline = deps.clock.now() + timeoutSeconds * 1000;
  for (;;) {
    const links = await deps.hostNet.links();
    const link = links.find((l) => l.mac === mac.toLowerCase() && !l.kind?.includes('vlan'));
    if (link) return [link, links];
    if (deps.clock.now() > deadline)
      throw new HostNetworkError(`no interface with the LNI's MAC ${mac} appeared within ${timeoutSeconds}s`);
    await deps.clock.sleep(100);
  }
}

/** One LNI name fleet-wide: rename the link found by MAC (it must be down to be renamed). */
async function ensureLniName(run: UpRun, link: LinkFacts, links: LinkFacts[]): Promise<LinkFacts> {
  const want = run.lniName();
  if (!want || link.name === want) return link;
  const clash = links.find((l) => l.name === want && l.mac !== link.mac);
  if (clash)
    throw new HostNetworkError(
      `lni.name ${want} is already the name of another interface (MAC ${clash.mac}); nothing renamed`,
    );
  const steps: HostStep[] = [
    ...(link.up ? [{ kind: 'link-down' as const, ifname: link.name }] : []),
    { kind: 'link-rename', ifname: link.name, newName: want },
  ];
  await run.timed('rename', { from: link.name, to: want }, () => run.deps.hostNet.apply(steps));
  return { ...link, name: want, up: false };
}

export async function linkPhase(run: UpRun): Promise<void> {
  const eni = run.need('eni');
  const state = run.need('state');
  const [found, links] = await waitForLink(run, eni.macAddress);
  const kernelNames = [...new Set([...(state.fences?.kernelNames ?? []), found.name])].filter(
    (n) => n !== run.lniName(),
  );
  run.set('kernelNames', kernelNames);
  await applyFences(
    run.deps,
    run.need('distro'),
    run.identity(eni.macAddress, kernelNames),
    state,
    () => run.save(),
    kernelNames,
  );
  run.set('link', await ensureLniName(run, found, links));
}
