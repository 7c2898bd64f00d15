// One fuzz child process: receives case indices, runs them and answers with the result. The
// parent owns the clock and the heap limit, so a CPU loop or a runaway allocation kills only
// this process.
import { newReach, type Reader, runCase, runInput, type Seed } from '@fstool/fuzz';
import { fromPlain, type PlainSeed } from './structs.js';

type Init = { reader: Reader; seeds: PlainSeed[]; seed: number };
type Job = { index?: number; input?: Uint8Array; backing?: Uint8Array; timeLimitMs?: number };

let data: Init | undefined;
let seeds: Seed[] = [];

process.on('message', async (msg: { init?: Init } & Job) => {
  if (msg.init) {
    data = msg.init;
    seeds = data.seeds.map(fromPlain);
    process.send?.({ ready: true });
    return;
  }
  if (!data) return;
  const reach = newReach();
  const r =
    msg.input !== undefined
      ? await runInput(data.reader, msg.input, {
          reach,
          ...(msg.backing ? { backing: msg.backing } : {}),
          ...(msg.timeLimitMs ? { timeLimitMs: msg.timeLimitMs } : {}),
        })
      : await runCase(data.reader, seeds, data.seed, msg.index ?? 0, { reach });
  delete r.input;
  process.send?.({ result: r, reach });
});
