// How much slower than native the lab runs: 1 here; the kernel lab's guest (TCG emulation, beside the host's own tests)
// sets LAB_TIME_SCALE so the lab's own readiness bounds stretch with it. Read at call time, never at module load.
export function labMs(ms: number): number {
  const scale = Number(process.env.LAB_TIME_SCALE ?? '1');
  return Number.isFinite(scale) && scale > 0 ? Math.round(ms * scale) : ms;
}
