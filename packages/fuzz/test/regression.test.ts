import { runInput } from '@fstool/fuzz';
import { describe, expect, it } from 'vitest';
import { listFixtures } from './mode.js';
import { checkSpec } from './spec-check.js';

/**
 * Inputs the fuzzer once crashed on, replayed forever. Those in packages that were still being
 * finished when they were found are listed here and expected to fail until their guard lands:
 * fixture file name → the missing guard.
 */
const KNOWN_FAILING: Record<string, string> = {};

describe('fuzz regressions: every saved input ends in success or an FsError', () => {
  const fixtures = listFixtures();
  it('fixtures are present', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });
  for (const { file, reader, bytes } of fixtures) {
    const test = KNOWN_FAILING[file] ? it.fails : it;
    test(`${file}${KNOWN_FAILING[file] ? ` (known: ${KNOWN_FAILING[file]})` : ''}`, async () => {
      if (reader === 'spec') {
        expect(checkSpec(new TextDecoder().decode(bytes))).toBeUndefined();
        return;
      }
      const r = await runInput(reader, bytes);
      expect(`${r.outcome}${r.outcome === 'crash' ? `: ${r.detail}\n${r.stack}` : ''}`).toMatch(/^(ok|error)$/);
    });
  }
});
