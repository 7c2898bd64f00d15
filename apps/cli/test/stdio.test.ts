import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';
import { bin, built, start } from './spawn-cli.js';

const tmp = tempDir('fstool-stdio-');
afterAll(() => tmp.cleanup());
const img = tmp.join('many.ext4');

beforeAll(async () => {
  const src = tmp.join('src');
  mkdirSync(`${src}/d`, { recursive: true });
  for (let i = 0; i < 1500; i++) writeFileSync(`${src}/d/file-with-a-longish-name-${i}`, '');
  writeFileSync(`${src}/big`, Buffer.alloc(4 * 2 ** 20, 'x'));
  expect((await cli('ext-build', src, '-o', img, '--size', '32MiB')).code).toBe(0);
});

/** Runs `fstool ARGS…` and closes its stdout after the first chunk, like `| head -c1`. */
async function closedEarly(...args: string[]) {
  const r = start(args);
  r.child.stdin.end();
  r.child.stdout.once('data', () => r.child.stdout.destroy());
  const { code } = await r.exited;
  return { code, err: r.err() };
}

describe.skipIf(!built)('stdout and stderr errors', () => {
  it('a reader that goes away (EPIPE): one line on stderr, exit 1, no stack trace', async () => {
    for (const args of [
      ['ls', '-lR', img],
      ['cat', img, '/big'],
    ]) {
      const r = await closedEarly(...args);
      expect(r.code, r.err).toBe(1);
      expect(r.err).toBe('fstool: cannot write to stdout: broken pipe (EPIPE)\n');
    }
  });

  it('a full disk (ENOSPC on /dev/full): one line on stderr, exit 1', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [
        ['info', img],
        ['ls', '-lR', img],
        ['cat', img, '/big'],
      ]) {
        const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', full, 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => {
          err += d;
        });
        const [code] = await once(child, 'exit');
        expect(code, err).toBe(1);
        expect(err).toBe('fstool: cannot write to stdout: no space left on device (ENOSPC)\n');
      }
    } finally {
      closeSync(full);
    }
  });
});
