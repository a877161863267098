// The kernel lab's guest: Debian's kernel under QEMU, booted on a busybox initramfs into the host's own root (read-only
// over virtio-9p, written to an in-memory overlay), where it runs one command and powers off.
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { moduleLoadOrder } from './modules.ts';

/** Where scripts/kernel-lab/prepare.sh unpacks Debian's linux-image package (not installed: only unpacked). */
export const KERNEL_CACHE = '/var/cache/outposts-node-agent/kernel-lab';
const BUSYBOX = '/bin/busybox';
const QEMU = 'qemu-system-x86_64';

export interface GuestKernel {
  version: string;
  vmlinuz: string;
  modulesDir: string;
}

export class KernelLabUnavailable extends Error {}

/** The unpacked kernel, or a clear error naming what is missing and the command that prepares it. */
export async function findKernel(cache = KERNEL_CACHE): Promise<GuestKernel> {
  const fix =
    'run `bash scripts/install-system-deps.sh` (it installs QEMU and unpacks Debian’s kernel for the kernel lab)';
  const versions = await readdir(join(cache, 'root/lib/modules')).catch(() => [] as string[]);
  const version = versions.sort().at(-1);
  if (!version) throw new KernelLabUnavailable(`no unpacked kernel under ${cache}: ${fix}`);
  const vmlinuz = join(cache, `root/boot/vmlinuz-${version}`);
  await readFile(vmlinuz).catch(() => {
    throw new KernelLabUnavailable(`${vmlinuz} is missing: ${fix}`);
  });
  for (const tool of [QEMU, BUSYBOX, 'cpio'])
    if ((await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode !== 0)
      throw new KernelLabUnavailable(`${tool} is not installed: ${fix}`);
  return { version, vmlinuz, modulesDir: join(cache, `root/lib/modules/${version}/kernel`) };
}

/**
 * /init: mounts, loads the modules in dependency order, mounts the host's root read-only over 9p under a tmpfs-backed
 * overlay, moves the kernel file systems there with fresh /run, /tmp and the output share, and switches to it.
 */
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /lower /ovl /newroot
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "guest: kernel up at $(cut -d' ' -f1 /proc/uptime) s"
for m in $(cat /modules/order); do insmod /modules/$m || echo "guest: insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /lower || { echo "guest: no host root"; echo o > /proc/sysrq-trigger; }
mount -t tmpfs -o size=2g tmpfs /ovl
mkdir -p /ovl/upper /ovl/work
mount -t overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/work overlay /newroot
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mkdir -p /newroot/run/kout
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 kout /newroot/run/kout
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /bin/sh /run/kout/guest.sh
`;

async function buildInitramfs(kernel: GuestKernel, dir: string): Promise<string> {
  const tree = join(dir, 'initramfs');
  await mkdir(join(tree, 'bin'), { recursive: true });
  await mkdir(join(tree, 'modules'), { recursive: true });
  await copyFile(BUSYBOX, join(tree, 'bin/busybox'));
  await chmod(join(tree, 'bin/busybox'), 0o755);
  await writeFile(join(tree, 'init'), INIT, { mode: 0o755 });
  const order = await moduleLoadOrder(kernel.modulesDir);
  for (const path of order) await copyFile(path, join(tree, 'modules', basename(path)));
  await writeFile(join(tree, 'modules/order'), `${order.map((p) => basename(p)).join('\n')}\n`);
  const out = join(dir, 'initramfs.cpio');
  await execa('sh', ['-c', `cd ${tree} && find . | cpio -o -H newc --quiet > ${out}`]);
  return out;
}

export interface GuestRun {
  exitCode: number | undefined;
  /** What the command printed (stdout and stderr). */
  output: string;
  /** The serial console: the kernel's and the init's lines. */
  console: string;
  /** Seconds from QEMU's start until the guest's userspace ran the command. */
  bootSeconds?: number;
  wallSeconds: number;
  accel: 'kvm' | 'tcg';
}

export interface GuestOptions {
  /** Shell command run in `cwd` inside the guest, as root, with the host's PATH. */
  command: string;
  cwd: string;
  env?: Record<string, string>;
  memoryMb?: number;
  cpus?: number;
  timeoutMs: number;
  /** KVM only when the probe boot showed it works here; TCG otherwise. */
  accel?: 'kvm' | 'tcg';
}

/** Boots the guest, runs the command, and returns its output and exit code (undefined: it never finished). */
export async function runInGuest(kernel: GuestKernel, opts: GuestOptions): Promise<GuestRun> {
  const dir = await mkdtemp(join(tmpdir(), 'ona-kernel-'));
  try {
    const initrd = await buildInitramfs(kernel, dir);
    const out = join(dir, 'out');
    await mkdir(out);
    const env = Object.entries({
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/root',
      ...opts.env,
    })
      .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
      .join('\n');
    await writeFile(
      join(out, 'guest.sh'),
      `#!/bin/sh
${env}
echo "guest: userspace at $(cut -d' ' -f1 /proc/uptime) s" > /dev/console
cut -d' ' -f1 /proc/uptime > /run/kout/boot
# The host's own tests talk to the lab's endpoints on loopback.
ip link set lo up
cd '${opts.cwd}'
( ${opts.command} ) > /run/kout/output.log 2>&1
echo $? > /run/kout/exit
sync
echo o > /proc/sysrq-trigger
`,
      { mode: 0o755 },
    );
    const accel = opts.accel ?? 'tcg';
    const started = performance.now();
    const qemu = await execa(
      QEMU,
      [
        ...(accel === 'kvm'
          ? ['-enable-kvm', '-cpu', 'host']
          : // Nehalem (SSE4.2, POPCNT, no AVX) is what the agent's x86_64 "baseline" executable is built for, and a
            // CPU QEMU's TCG has emulated for years; its newer AVX/AVX2 emulation (`-cpu max`) crashed Node's and
            // Bun's JIT code now and then (segfaults, aborts).
            ['-accel', 'tcg,thread=multi', '-cpu', 'Nehalem']),
        '-m',
        String(opts.memoryMb ?? 3072),
        '-smp',
        String(opts.cpus ?? 2),
        '-nographic',
        '-no-reboot',
        '-kernel',
        kernel.vmlinuz,
        '-initrd',
        initrd,
        '-append',
        'console=ttyS0 panic=-1 quiet loglevel=3',
        '-virtfs',
        'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
        '-virtfs',
        `local,path=${out},mount_tag=kout,security_model=none`,
      ],
      { reject: false, timeout: opts.timeoutMs, stdin: 'ignore', all: true },
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const read = (f: string) => readFile(join(out, f), 'utf8').catch(() => undefined);
    const exit = await read('exit');
    const boot = await read('boot');
    return {
      exitCode: exit === undefined ? undefined : Number(exit.trim()),
      output: (await read('output.log')) ?? '',
      console: String(qemu.all ?? ''),
      bootSeconds: boot === undefined ? undefined : Number(boot.trim()),
      wallSeconds,
      accel,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Whether KVM boots this kernel here: a guest that runs `true` within a short bound. On machines where /dev/kvm
 * exists but the guest hangs (seen here) or QEMU refuses the host CPU, the lab uses TCG.
 */
export async function probeKvm(kernel: GuestKernel): Promise<boolean> {
  const access = await execa('test', ['-w', '/dev/kvm'], { reject: false });
  if (access.exitCode !== 0) return false;
  const probe = await runInGuest(kernel, { command: 'true', cwd: '/', timeoutMs: 15_000, accel: 'kvm' });
  return probe.exitCode === 0;
}
