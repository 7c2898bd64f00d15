import { type Reader, runInput } from '@fstool/fuzz';
import { afterAll, describe, expect, it } from 'vitest';
import { IsolatedRunner } from './isolate/pool.js';
import { listFixtures } from './mode.js';
import { checkSpec } from './spec-check.js';

/**
 * Inputs the fuzzer once crashed on, replayed forever. Inputs that once exhausted the heap or
 * never yielded run in a child process (128 MB heap, 2 s), so a regression fails this test
 * instead of killing the test run. Inputs whose guard has not landed yet go in KNOWN_FAILING
 * (file name → the missing guard) and are expected to fail until it does.
 */
const ISOLATE = new Set([
  // ext checkSpace built one object per logical block of a directory claiming i_size 2^35
  // (heap exhaustion) or 2^45 (RangeError: Invalid array length); fixed in ext b530600.
  'ext-huge-dir-size-oom.bin.gz',
  'ext-dir-size-rangeerror.bin.gz',
  // ext2 directory with a damaged block pointer: listing took 5–8 s.
  'ext-ext2-slow-directory.bin.gz',
]);
const KNOWN_FAILING: Record<string, string> = {};

const isolated = new Map<Reader, IsolatedRunner>();
afterAll(async () => {
  for (const r of isolated.values()) await r.close();
});

describe('fuzz regressions: every saved input ends in success or an FsError', () => {
  const fixtures = listFixtures();
  it('fixtures are present', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });
  for (const { file, reader, bytes } of fixtures) {
    const known = KNOWN_FAILING[file];
    (known ? it.fails : it)(`${file}${known ? ` (known: ${known})` : ''}`, async () => {
      if (reader === 'spec') {
        expect(checkSpec(new TextDecoder().decode(bytes))).toBeUndefined();
        return;
      }
      let r: { outcome: string; detail?: string; stack?: string };
      if (ISOLATE.has(file) || known) {
        let runner = isolated.get(reader);
        if (!runner) {
          runner = new IsolatedRunner(reader, [], 0, { heapMb: 128, timeLimitMs: 2000 });
          isolated.set(reader, runner);
        }
        r = await runner.run({ input: bytes });
      } else {
        r = await runInput(reader, bytes);
      }
      expect(`${r.outcome}${r.outcome === 'crash' ? `: ${r.detail}\n${r.stack}` : ''}`).toMatch(/^(ok|error)$/);
    });
  }
});
