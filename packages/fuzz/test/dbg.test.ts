import { it } from 'vitest';
import { IsolatedRunner } from './isolate/pool.js';
import { listFixtures } from './mode.js';

it('dbg', async () => {
  const runner = new IsolatedRunner('ext', [], 0, { heapMb: 256 });
  for (const f of listFixtures()) {
    if (f.reader !== 'ext' || f.file.includes('oom')) continue;
    const r = await runner.run({ input: f.bytes });
    console.log('FIX', f.file, r.outcome, r.detail, Math.round(r.ms), '\n', r.stack);
  }
  await runner.close();
}, 600_000);
