import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@fstool/testkit/node';
import { afterAll, bench, describe } from 'vitest';
import { run } from '../src/run.js';

// Start-up as a user sees it: a new node process per command (targets: --version ≤ 120 ms,
// ls of a small image ≤ 200 ms on a quiet machine; bare `node -e 0` is the floor).
const bin = join(import.meta.dirname, '..', 'bin.js');
const tmp = tempDir('fstool-bench-');
afterAll(() => tmp.cleanup());
mkdirSync(tmp.join('src', 'etc'), { recursive: true });
writeFileSync(tmp.join('src', 'etc', 'hostname'), 'box\n');
const img = tmp.join('small.ext4');
await run(['-q', 'ext-build', tmp.join('src'), '-o', img, '--size', '4MiB'], {
  out: () => {},
  err: () => {},
  data: async () => {},
});

const fstool = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { stdio: 'pipe' });

describe('fstool start-up (one process per command)', () => {
  bench('node -e 0 (the floor)', () => {
    execFileSync(process.execPath, ['-e', '0']);
  });
  bench('fstool --version', () => {
    fstool('--version');
  });
  bench('fstool ls small.ext4', () => {
    fstool('ls', img);
  });
  bench('fstool info small.ext4', () => {
    fstool('info', img);
  });
});
