import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@fstool/testkit/node';
import { afterAll, bench, describe } from 'vitest';
import { scanDirectory } from '../src/node.js';

// 20,000 small files in 200 directories: the shape of a root filesystem.
const tmp = tempDir('fstool-scan-bench-');
for (let d = 0; d < 200; d++) {
  mkdirSync(tmp.join(`d${d}`));
  for (let f = 0; f < 100; f++) writeFileSync(tmp.join(`d${d}`, `f${f}`), 'x');
}
afterAll(() => tmp.cleanup());

const drain = async (xattrs: 'none' | 'user') => {
  for await (const _ of scanDirectory(tmp.path, { xattrs }).entries());
};

describe('scan 20,000 files', () => {
  bench('readdirSync + lstatSync (floor)', () => {
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (lstatSync(p, { bigint: true }).isDirectory()) walk(p);
      }
    };
    walk(tmp.path);
  });
  bench('scanDirectory xattrs: none', () => drain('none'));
  bench('scanDirectory xattrs: user', () => drain('user'));
});
