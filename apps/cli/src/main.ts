#!/usr/bin/env node
import { once } from 'node:events';
import { EXIT } from './io.js';
import { run } from './run.js';
import { enableSignalHandling } from './signals.js';
import { WatchedStream } from './stdio.js';

enableSignalHandling(process.stderr);
const stdout = new WatchedStream(process.stdout, 'stdout');
const stderr = new WatchedStream(process.stderr, 'stderr');

let code = await run(process.argv.slice(2), {
  out: (s) => {
    stdout.check();
    process.stdout.write(s);
  },
  err: (s) => {
    if (!stderr.error) process.stderr.write(s);
  },
  data: async (chunk) => {
    stdout.check();
    if (!process.stdout.write(chunk)) await Promise.race([once(process.stdout, 'drain'), stdout.failed]);
    stdout.check();
  },
  stdin: process.stdin,
  stdout: process.stdout,
  isTTY: process.stdin.isTTY === true,
});
// A write error can arrive after the command finished (the last lines, or output to a full disk).
await stdout.settled();
if (stdout.error && code !== EXIT.failed) {
  if (!stderr.error) process.stderr.write(`fstool: ${stdout.error.message}\n`);
  code = EXIT.failed;
}
await stderr.settled();
process.exitCode = stderr.error ? EXIT.failed : code;
