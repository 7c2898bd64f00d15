import { createInterface } from 'node:readline';
import type { FileSystem } from '@fstool/fs';
import { normalizePath } from '@fstool/fs';
import type { Io } from '../io.js';
import { EXIT_WORDS, runCommand, type ShellState } from './commands.js';
import { complete } from './complete.js';
import { loadHistory, saveLine } from './history.js';
import { addReverseSearch } from './search.js';
import { splitWords } from './words.js';

export interface ShellOptions {
  readOnly: boolean;
  /** What the session is on, for the banner (`disk.qcow2:2`). */
  name: string;
}

/**
 * Reads command lines from `io.stdin` until exit, quit, end of input or Ctrl-C, running each
 * against `fs`. On a terminal: a prompt, line editing, history kept in ~/.fstool_history with
 * Ctrl-R search, and completion of command names and paths (host paths for `put`);
 * otherwise no prompt or banner, so scripts can pipe commands in. A failing command prints its
 * error and the session goes on. Resolves to the number of commands that failed; the caller
 * closes (flushes) the filesystem.
 */
export async function runShell(fs: FileSystem, io: Io, opts: ShellOptions): Promise<number> {
  const tty = io.isTTY ?? false;
  // The last byte a command wrote as data: on a terminal a missing final newline is supplied, so
  // the prompt never overwrites the end of a file (`cat cmdline.txt`).
  let lastByte: number | undefined;
  const state: ShellState = {
    fs,
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
      return normalizePath(path.startsWith('/') ? path : `${this.cwd}/${path}`);
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
  // Ctrl-C ends the session the same way as EOF: after the running command, then the image is flushed.
  const stop = () => rl.close();
  rl.on('SIGINT', stop);
  process.once('SIGINT', stop);
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
        await runCommand(state, words);
      } catch (err) {
        failed++;
        io.err(`${err instanceof Error ? err.message : String(err)}\n`);
      }
      if (tty && lastByte !== undefined && lastByte !== 0x0a) io.out('\n');
      lastByte = undefined;
      prompt();
    }
  } finally {
    process.removeListener('SIGINT', stop);
    rl.close();
    if (tty) io.out('\n');
  }
  return failed;
}
