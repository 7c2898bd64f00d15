#!/usr/bin/env node
import { once } from 'node:events';
import { run } from './run.js';

process.exitCode = await run(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  data: async (chunk) => {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  },
  stdin: process.stdin,
  stdout: process.stdout,
  isTTY: process.stdin.isTTY === true,
});
