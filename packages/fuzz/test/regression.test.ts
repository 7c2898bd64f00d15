import { type Reader, runInput } from '@fstool/fuzz';
import { afterAll, describe, expect, it } from 'vitest';
import { IsolatedRunner } from './isolate/pool.js';
import { listFixtures } from './mode.js';
import { checkSpec } from './spec-check.js';

/**
 * Inputs the fuzzer once crashed on, replayed forever. Those in packages that were still being
 * finished when they were found are listed here with the missing guard, run in a child process
 * (they may exhaust the heap or never yield) and expected to fail until the guard lands.
 */
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
      if (known) {
        let runner = isolated.get(reader);
        if (!runner) {
          runner = new IsolatedRunner(reader, [], 0, { heapMb: 128 });
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
