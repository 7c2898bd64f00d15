import { memory, newReach, type Reach, type Reader, runCase, runInput, type Seed } from '@fstool/fuzz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IsolatedRunner } from './isolate/pool.js';
import { cases, LONG, newTally, report, SEED, saveFixture, TIMEOUT } from './mode.js';
import { haveSeedTools, makeSeeds } from './seeds.js';

/** Short mode: a few hundred cases per reader (the slow readers fewer). */
const SHORT: Record<Reader, number> = { mbr: 400, gpt: 400, qcow2: 250, ext: 200, fat: 300 };

function addReach(into: Reach, from: Reach): void {
  for (const k of Object.keys(into) as Array<keyof Reach>) into[k] += from[k];
}

/** The fuzz tests of one reader (one test file per reader, so vitest runs them in parallel). */
export function fuzzReader(reader: Reader): void {
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

    it(
      `end in success or an FsError, in bounded time and memory (${cases(SHORT[reader])} cases)`,
      async () => {
        const t = newTally();
        const reach = newReach();
        const start = performance.now();
        const n = cases(SHORT[reader]);
        // The long run isolates cases in a worker thread: a loop that never yields or a runaway
        // allocation then ends one case, not the run.
        const runner = LONG ? new IsolatedRunner(reader, seeds, SEED) : undefined;
        for (let i = 0; i < n; i++) {
          let r = runner ? await runner.run({ index: i }) : await runCase(reader, seeds, SEED, i, { reach });
          if (runner && (r.outcome === 'hang' || r.outcome === 'memory') && !('reach' in r && r.reach)) {
            // The child died: a finding only if a fresh child fails on it again.
            const again = await runner.run({ index: i });
            if (again.outcome === 'ok' || again.outcome === 'error')
              r = { ...again, unconfirmed: `${r.outcome}: ${r.detail}` };
          }
          if ('reach' in r && r.reach) addReach(reach, r.reach);
          t.cases++;
          t.slowestMs = Math.max(t.slowestMs, r.ms);
          // In the long run this is the child's RSS (the parent's is sampled below).
          t.peakRss = Math.max(t.peakRss, r.peakRss ?? 0);
          if (r.unconfirmed) t.unconfirmed.push(`case ${i}: ${r.unconfirmed}`);
          if (r.outcome === 'ok') t.ok++;
          else if (r.outcome === 'error') t.errors++;
          else {
            if (r.outcome === 'hang') t.hangs++;
            if (r.outcome === 'memory') t.memory++;
            const seedName = r.seedName ?? 'unknown';
            const fixture = r.input ? saveFixture(reader, `${seedName}-${SEED}-${i}`, r.input) : undefined;
            t.crashes.push({ ...r, seedName, index: i, ...(fixture ? { fixture } : {}) });
            delete t.crashes[t.crashes.length - 1]?.input;
          }
          if (i % 64 === 0) t.peakRss = Math.max(t.peakRss, memory().rss);
        }
        await runner?.close();
        t.ms = performance.now() - start;
        t.peakRss = Math.max(t.peakRss, memory().rss);
        console.log(`${report(reader, t)}; reached: ${JSON.stringify(reach)}`);
        for (const u of t.unconfirmed) console.log(`  unconfirmed ${u}`);
        for (const c of t.crashes) {
          console.log(
            `  ${c.outcome} case ${c.index} (${c.seedName}: ${c.mutations.join(' ')}) → ${c.detail}\n${c.stack ?? ''}\n  saved ${c.fixture}`,
          );
        }
        if (LONG && !process.env.FSTOOL_FUZZ_CASES) expect(t.cases).toBeGreaterThanOrEqual(10_000);
        expect(t.crashes.map((c) => `${c.outcome} ${c.index}: ${c.detail}`)).toEqual([]);
      },
      TIMEOUT,
    );
  });
}
