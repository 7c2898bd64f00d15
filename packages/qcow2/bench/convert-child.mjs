// Child process of convert.bench.ts: one conversion with fstool's convertFile (from dist/);
// prints the time spent inside the call (the process's own start-up is measured apart).
import { convertFile } from '@fstool/qcow2/node';

const [input, output, compress] = process.argv.slice(2);
const t0 = performance.now();
await convertFile(input, output, { compress: compress === '1', overwrite: true });
console.log((performance.now() - t0) / 1000);
