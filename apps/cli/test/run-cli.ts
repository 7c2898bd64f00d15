import { Readable } from 'node:stream';
import { run } from '../src/run.js';

/** Runs the CLI in-process and captures what it prints. */
export async function cli(...argv: string[]) {
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
  });
  return { code, out, err, bytes: Buffer.concat(chunks) };
}

/** Runs `fstool shell ARGS…` in-process with `script` piped on stdin (not a TTY). */
export async function shell(script: string, ...argv: string[]) {
  let out = '';
  let err = '';
  const chunks: Uint8Array[] = [];
  const code = await run(['shell', ...argv], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    data: async (c) => {
      chunks.push(c.slice());
    },
    stdin: Readable.from([script]),
    isTTY: false,
  });
  return { code, out, err, bytes: Buffer.concat(chunks).toString() };
}
