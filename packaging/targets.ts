// The two architectures we ship: bun compile target, the npm package holding that bun runtime, and artifact names.
export type Arch = 'x86_64' | 'aarch64';

export interface Target {
  arch: Arch;
  /** `bun build --compile --target=…`; x64 "baseline" needs no AVX2, so it starts on any x86-64 server. */
  bunTarget: string;
  /** The npm package whose bin/bun is this target's runtime (an exact optionalDependency in package.json). */
  runtimePackage: string;
  /** `process.arch` of a machine that can run this target natively. */
  nodeArch: string;
}

export const TARGETS: readonly Target[] = [
  {
    arch: 'x86_64',
    bunTarget: 'bun-linux-x64-baseline',
    runtimePackage: '@oven/bun-linux-x64-baseline',
    nodeArch: 'x64',
  },
  {
    arch: 'aarch64',
    bunTarget: 'bun-linux-arm64',
    runtimePackage: '@oven/bun-linux-aarch64',
    nodeArch: 'arm64',
  },
];

export const executableName = (arch: Arch): string => `outposts-node-agent-linux-${arch}`;

/** The target this machine runs natively (its bun compiles for both). */
export function hostTarget(): Target {
  const t = TARGETS.find((x) => x.nodeArch === process.arch);
  if (!t || process.platform !== 'linux')
    throw new Error(`packaging runs on Linux x64 or arm64, not ${process.platform}/${process.arch}`);
  return t;
}
