import { Readable } from 'node:stream';
import { type Io, run } from '../src/run.js';

/** Runs the CLI in-process on `argv` with `extra` Io fields, capturing what it prints. */
async function capture(argv: string[], extra: Partial<Io> = {}) {
  let out = '';
  let err = '';
  const chunks: Uint8Array[] = [];
  const code = await run(argv, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    data: async (c) => {
      chunks.push(c.slice());
    },
    ...extra,
  });
  return { code, out, err, bytes: Buffer.concat(chunks) };
}

/** Runs the CLI in-process and captures what it prints. */
export function cli(...argv: string[]) {
  return capture(argv);
}

/** Runs `fstool shell ARGS…` in-process with `script` piped on stdin (not a TTY). */
export async function shell(script: string, ...argv: string[]) {
  const r = await capture(['shell', ...argv], { stdin: Readable.from([script]), isTTY: false });
  return { ...r, bytes: r.bytes.toString() };
}
