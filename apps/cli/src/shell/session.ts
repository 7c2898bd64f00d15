import { createInterface } from 'node:readline';
import type { FileSystem } from '@fstool/fs';
import { normalizePath, unescapeName } from '@fstool/fs';
import type { Io } from '../io.js';
import { escapeMessage } from '../names.js';
import { onInterrupt } from '../signals.js';
import { EXIT_WORDS, runCommand, type ShellState } from './commands.js';
import { complete } from './complete.js';
import { loadHistory, saveLine } from './history.js';
import { interruptible } from './interrupt.js';
import { addReverseSearch } from './search.js';
import { splitWords } from './words.js';

export interface ShellOptions {
  readOnly: boolean;
  /** What the session is on, for the banner (`disk.qcow2:2`). */
  name: string;
}

/**
 * Reads command lines from `io.stdin` until exit, quit or end of input, running each against
 * `fs`. On a terminal: a prompt, line editing, history kept in ~/.fstool_history with Ctrl-R
 * search, and completion of command names and paths (host paths for `put`); Ctrl-C cancels a
 * half-typed line, stops a running command (at its next filesystem operation) and ends the
 * session on an empty line. Otherwise no prompt or banner, so scripts can pipe commands in;
 * SIGINT ends the session after the running command. A failing command prints its error and the
 * session goes on. Resolves to the number of commands that failed; the caller closes (flushes)
 * the filesystem.
 */
export async function runShell(fs: FileSystem, io: Io, opts: ShellOptions): Promise<number> {
  const tty = io.isTTY ?? false;
  let running: { stopped: boolean } | undefined;
  // The last byte a command wrote as data: on a terminal a missing final newline is supplied, so
  // the prompt never overwrites the end of a file (`cat cmdline.txt`).
  let lastByte: number | undefined;
  const state: ShellState = {
    fs: interruptible(fs, () => running?.stopped ?? false),
    io: {
      ...io,
      data: async (chunk) => {
        if (chunk.length) lastByte = chunk[chunk.length - 1];
        await io.data(chunk);
      },
    },
    readOnly: opts.readOnly,
    cwd: '/',
    resolve(path) {
      // The argument may hold escapes (`caf\xe9`); cwd is already a name.
      const arg = unescapeName(path);
      return normalizePath(arg.startsWith('/') ? arg : `${this.cwd}/${arg}`);
    },
  };
  const rl = createInterface({
    input: io.stdin ?? process.stdin,
    ...(tty
      ? {
          output: io.stdout ?? process.stdout,
          terminal: true,
          historySize: 1000,
          history: loadHistory(),
          removeHistoryDuplicates: true,
          completer: (line: string, done: (err: null, result: [string[], string]) => void) => {
            complete(fs, state.cwd, line).then((r) => done(null, r));
          },
        }
      : { terminal: false }),
  });
  // A signal ends the session the same way as EOF: after the running command, then the image is flushed.
  const release = onInterrupt(() => rl.close());
  rl.on('SIGINT', () => {
    if (running) running.stopped = true;
    else if (rl.line === '') rl.close();
    else {
      // Like a shell: the half-typed line stays in view with ^C, is dropped, and a fresh prompt shown.
      rl.write(null, { ctrl: true, name: 'e' });
      io.out('^C\n');
      // readline has no call that empties its buffer without redrawing the old line.
      Object.assign(rl, { line: '', cursor: 0 });
      prompt();
    }
  });
  const promptText = () => `fstool:${state.cwd}${opts.readOnly ? ' (ro)' : ''}> `;
  const prompt = () => {
    if (!tty) return;
    rl.setPrompt(promptText());
    rl.prompt();
  };
  if (tty) addReverseSearch(rl, promptText);
  if (tty) {
    const info = await fs.info();
    const label = info.label ? ` "${info.label}"` : '';
    io.out(`${info.type}${label} on ${opts.name}${opts.readOnly ? ', read-only' : ''}. Type help for commands.\n`);
  }
  let failed = 0;
  try {
    prompt();
    for await (const line of rl) {
      if (tty) saveLine(line);
      try {
        const words = splitWords(line);
        if (words[0] !== undefined && EXIT_WORDS.has(words[0])) break;
        running = { stopped: false };
        await runCommand(state, words);
      } catch (err) {
        failed++;
        io.err(`${escapeMessage(err instanceof Error ? err.message : String(err))}\n`);
      } finally {
        running = undefined;
      }
      if (tty && lastByte !== undefined && lastByte !== 0x0a) io.out('\n');
      lastByte = undefined;
      prompt();
    }
  } finally {
    release();
    rl.close();
    if (tty) io.out('\n');
  }
  return failed;
}
