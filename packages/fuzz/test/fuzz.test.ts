import { memory, newReach, READERS, type Reader, runCase, runInput, type Seed } from '@fstool/fuzz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, LONG, newTally, report, SEED, saveFixture } from './mode.js';
import { haveSeedTools, makeSeeds } from './seeds.js';

/** Short mode: a few hundred cases per reader (the slow readers fewer). */
const SHORT: Record<Reader, number> = { mbr: 400, gpt: 400, qcow2: 250, ext: 300, fat: 300 };

for (const reader of READERS) {
  describe.skipIf(!haveSeedTools(reader))(`${reader}: mutated images`, () => {
    let seeds: Seed[] = [];
    let cleanup = () => {};
    beforeAll(async () => {
      ({ seeds, cleanup } = await makeSeeds(reader));
    });
    afterAll(() => cleanup());

    it('the unmutated seeds open and read without error', async () => {
      for (const s of seeds) {
        const r = await runInput(reader, s.bytes, s.backing ? { backing: s.backing } : {});
        expect(`${s.name}: ${r.outcome} ${r.detail ?? ''}`).toBe(`${s.name}: ok `);
      }
    });

    it(`end in success or an FsError, in bounded time and memory (${cases(SHORT[reader])} cases)`, async () => {
      const t = newTally();
      const reach = newReach();
      const start = performance.now();
      const n = cases(SHORT[reader]);
      for (let i = 0; i < n; i++) {
        const r = await runCase(reader, seeds, SEED, i, { reach });
        t.cases++;
        t.slowestMs = Math.max(t.slowestMs, r.ms);
        if (r.outcome === 'ok') t.ok++;
        else if (r.outcome === 'error') t.errors++;
        else {
          if (r.outcome === 'hang') t.hangs++;
          if (r.outcome === 'memory') t.memory++;
          const fixture = r.input ? saveFixture(reader, `${r.seedName}-${SEED}-${i}`, r.input) : undefined;
          t.crashes.push({ ...r, index: i, ...(fixture ? { fixture } : {}) });
          delete t.crashes[t.crashes.length - 1]?.input;
        }
        if (i % 64 === 0) t.peakRss = Math.max(t.peakRss, memory().rss);
      }
      t.ms = performance.now() - start;
      t.peakRss = Math.max(t.peakRss, memory().rss);
      console.log(`${report(reader, t)}; reached: ${JSON.stringify(reach)}`);
      for (const c of t.crashes) {
        console.log(
          `  ${c.outcome} case ${c.index} (${c.seedName}: ${c.mutations.join(' ')}) → ${c.detail}\n${c.stack ?? ''}\n  saved ${c.fixture}`,
        );
      }
      if (LONG) expect(t.cases).toBeGreaterThanOrEqual(10_000);
      expect(t.crashes.map((c) => `${c.outcome} ${c.index}: ${c.detail}`)).toEqual([]);
    });
  });
}
