import { createInterface } from 'node:readline';
import type { FileSystem } from '@fstool/fs';
import { normalizePath, unescapeName } from '@fstool/fs';
import type { Io } from '../io.js';
import { escapeMessage } from '../names.js';
import { commandNames, EXIT_WORDS, runCommand, type ShellState } from './commands.js';
import { splitWords } from './words.js';

export interface ShellOptions {
  readOnly: boolean;
  /** What the session is on, for the banner (`disk.qcow2:2`). */
  name: string;
}

/**
 * Reads command lines from `io.stdin` until exit, quit, end of input or Ctrl-C, running each
 * against `fs`. On a terminal: a prompt, line editing, history and completion of command names;
 * otherwise no prompt or banner, so scripts can pipe commands in. A failing command prints its
 * error and the session goes on. Resolves to the number of commands that failed; the caller
 * closes (flushes) the filesystem.
 */
export async function runShell(fs: FileSystem, io: Io, opts: ShellOptions): Promise<number> {
  const tty = io.isTTY ?? false;
  const state: ShellState = {
    fs,
    io,
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
          historySize: 500,
          completer: (line: string) => {
            const hits = commandNames.filter((c) => c.startsWith(line));
            return [hits.length ? hits : commandNames, line];
          },
        }
      : { terminal: false }),
  });
  // Ctrl-C ends the session the same way as EOF: after the running command, then the image is flushed.
  const stop = () => rl.close();
  rl.on('SIGINT', stop);
  process.once('SIGINT', stop);
  const prompt = () => {
    if (!tty) return;
    rl.setPrompt(`fstool:${state.cwd}${opts.readOnly ? ' (ro)' : ''}> `);
    rl.prompt();
  };
  if (tty) {
    const info = await fs.info();
    const label = info.label ? ` "${info.label}"` : '';
    io.out(`${info.type}${label} on ${opts.name}${opts.readOnly ? ', read-only' : ''}. Type help for commands.\n`);
  }
  let failed = 0;
  try {
    prompt();
    for await (const line of rl) {
      try {
        const words = splitWords(line);
        if (words[0] !== undefined && EXIT_WORDS.has(words[0])) break;
        await runCommand(state, words);
      } catch (err) {
        failed++;
        io.err(`${escapeMessage(err instanceof Error ? err.message : String(err))}\n`);
      }
      prompt();
    }
  } finally {
    process.removeListener('SIGINT', stop);
    rl.close();
    if (tty) io.out('\n');
  }
  return failed;
}
