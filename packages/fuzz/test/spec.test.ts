import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseSeed, mutateSpec, Rng } from '@fstool/fuzz';
import { safeParseSpec } from '@fstool/spec';
import { describe, expect, it } from 'vitest';
import { cases, LONG, newTally, report, SEED, saveFixture, TIMEOUT } from './mode.js';
import { checkSpec } from './spec-check.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples');
const texts = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.toml'))
  .sort()
  .map((f) => readFileSync(join(EXAMPLES, f), 'utf8'));

describe('spec: mutated example specs', () => {
  it('the examples parse', () => {
    expect(texts.length).toBeGreaterThan(0);
    for (const t of texts) expect(safeParseSpec(t).ok).toBe(true);
  });

  it(
    `give a valid ImageSpec or SpecError issues, nothing else (${cases(2000)} cases)`,
    () => {
      const t = newTally();
      const start = performance.now();
      const found: string[] = [];
      for (let i = 0; i < cases(2000); i++) {
        const rng = new Rng(caseSeed(SEED, i));
        const text = mutateSpec(rng.pick(texts), rng);
        const t0 = performance.now();
        const problem = checkSpec(text);
        const ms = performance.now() - t0;
        t.cases++;
        t.slowestMs = Math.max(t.slowestMs, ms);
        if (ms > 5000) t.hangs++;
        if (problem) {
          found.push(`case ${i}: ${problem} (saved ${saveFixture('spec', `${SEED}-${i}`, text)})`);
        } else if (safeParseSpec(text).ok) t.ok++;
        else t.errors++;
      }
      t.ms = performance.now() - start;
      t.peakRss = process.memoryUsage().rss;
      console.log(`${report('spec', t).replace('FsError', 'SpecError issues')}`);
      if (LONG) expect(t.cases).toBeGreaterThanOrEqual(10_000);
      expect(found).toEqual([]);
      expect(t.hangs).toBe(0);
    },
    TIMEOUT,
  );
});
