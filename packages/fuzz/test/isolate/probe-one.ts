import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { runInput } from '@fstool/fuzz';

const file = process.argv[2] as string;
const raw = readFileSync(file);
const bytes = new Uint8Array(file.endsWith('.gz') ? gunzipSync(raw) : raw);
runInput('ext', bytes, { timeLimitMs: 8000 }).then((r) => console.log('RESULT', r.outcome, r.detail, r.stack));
