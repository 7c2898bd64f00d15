/**
 * SIGKILL in the middle of `fstool add` / `fstool rm`, on raw images and the same filesystems
 * inside qcow2: the real checkers must find at most leaks. A killed process loses what it held in
 * memory, while its finished writes stay in the host page cache, so the image holds a prefix of its
 * writes: the editors' write order, and the qcow2 layer's (data, refcounts, L2), must make every
 * prefix safe. Kills land at fixed fractions of the write calls an uninterrupted run makes (read
 * from /proc, so machine load does not move them); 4 KiB qcow2 clusters make the edit allocate.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  e2fsckVerdict,
  fsckVfatVerdict,
  haveTools,
  inCI,
  mustRun,
  qemuImgCheckVerdict,
  tempDir,
  type Verdict,
} from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../bin.js');
const built = existsSync(join(import.meta.dirname, '../dist/main.js'));
if (!built && inCI) throw new Error('apps/cli/dist is missing: CI must build before testing (pnpm verify does)');

const KILLS = 8;
const tmp = tempDir('cli-kill-');
afterAll(() => tmp.cleanup());

/** 30 files of 1–24 KiB in 3 directories: several allocations per file, directories to link. */
function hostTree(root: string): void {
  for (let d = 0; d < 3; d++) {
    mkdirSync(join(root, `d${d}`), { recursive: true });
    for (let f = 0; f < 10; f++) {
      writeFileSync(join(root, `d${d}`, `f${f}.bin`), new Uint8Array(1024 * (1 + ((d * 7 + f * 5) % 24))).fill(f));
    }
  }
}
const tree = tmp.join('tree');
hostTree(tree);

/** Write system calls the process has made so far (Linux `/proc/PID/io`; all threads). */
function writesOf(pid: number): number | undefined {
  try {
    return Number(/^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
  } catch {
    return undefined; // exited
  }
}

/**
 * Runs the CLI; with `killAt` it is SIGKILLed once it has made that many write calls (the kill
 * lands a little later: the count is polled). Returns the most writes seen.
 */
async function runCli(args: string[], killAt = Number.POSITIVE_INFINITY): Promise<number> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
  const pid = child.pid as number;
  let seen = 0;
  const exit = new Promise<void>((done) => child.on('exit', () => done()));
  const poll = setInterval(() => {
    seen = Math.max(seen, writesOf(pid) ?? 0);
    if (seen >= killAt) child.kill('SIGKILL');
  }, 1);
  await exit;
  clearInterval(poll);
  return seen;
}

const CASES: Array<{ name: string; make: (img: string) => void; check: (path: string) => Verdict }> = [
  {
    name: 'FAT32',
    make: (img) => {
      mustRun('mkfs.fat', ['-F', '32', '-s', '1', '-C', img, '40000']);
      mustRun('mcopy', ['-s', '-Q', '-i', img, join(tree, 'd0'), join(tree, 'd1'), '::/'], {
        env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
      });
    },
    check: fsckVfatVerdict,
  },
  {
    name: 'ext2',
    make: (img) => mustRun('mke2fs', ['-q', '-F', '-t', 'ext2', '-b', '1024', '-d', tree, img, '16384']),
    check: e2fsckVerdict,
  },
  {
    name: 'ext4 without a journal',
    make: (img) =>
      mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-O', '^has_journal', '-b', '1024', '-d', tree, img, '16384']),
    check: e2fsckVerdict,
  },
];

describe.skipIf(
  !built ||
    !existsSync('/proc/self/io') ||
    !haveTools('qemu-img', 'mkfs.fat', 'mcopy', 'fsck.vfat', 'mke2fs', 'e2fsck'),
)('SIGKILL during add/rm leaves at worst leaks', () => {
  for (const c of CASES) {
    for (const container of ['raw', 'qcow2'] as const) {
      it(`${c.name} (${container})`, async () => {
        const clean = tmp.join(`${c.name.replace(/\W+/g, '-')}.img`);
        if (!existsSync(clean)) c.make(clean);
        const img = tmp.join(`work.${container}`);
        const fresh = () => {
          if (container === 'raw') copyFileSync(clean, img);
          else mustRun('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'cluster_size=4096', clean, img]);
        };
        const judge = (): Verdict => {
          if (container === 'raw') return c.check(img);
          const outer = qemuImgCheckVerdict(img);
          if (outer.state === 'damaged') return outer;
          mustRun('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', img, `${img}.raw`]);
          const inner = c.check(`${img}.raw`);
          return inner.state === 'clean' ? outer : inner;
        };
        const ops = [
          ['add', img, tree, '/new'],
          ['rm', '-r', img, '/d1'],
        ];
        // Kill points: fixed fractions of the write calls an uninterrupted run makes.
        const full: number[] = [];
        for (const op of ops) {
          fresh();
          full.push(await runCli(op));
          expect(judge().state).toBe('clean');
        }
        const damaged: string[] = [];
        for (let k = 0; k < KILLS; k++) {
          const i = k % 2;
          fresh();
          const at = Math.max(1, Math.round(((full[i] as number) * (Math.floor(k / 2) + 0.5)) / (KILLS / 2)));
          await runCli(ops[i] as string[], at);
          const v = judge();
          if (v.state === 'damaged') {
            damaged.push(`${ops[i]?.[0]} killed at write ${at}: ${v.problems.slice(0, 4).join(' | ')}`);
          }
        }
        console.log(
          `${c.name} (${container}): add ${full[0]} writes, rm ${full[1]}, ${damaged.length}/${KILLS} kills damaged`,
        );
        expect(damaged.join('\n')).toBe('');
      });
    }
  }
});
