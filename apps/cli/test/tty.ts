import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inCI, mustRun, runTool } from '@fstool/testkit/node';
import { afterAll } from 'vitest';

/**
 * Real terminals for the CLI: commands run inside tmux (a pseudo-terminal), keys sent with
 * send-keys, the screen read with capture-pane. Needs the built CLI (the root test task builds it
 * first). Call once per test file; its tmux server is killed after the file.
 */
export function terminal() {
  const bin = join(import.meta.dirname, '../bin.js');
  const built = existsSync(join(import.meta.dirname, '../dist/main.js'));
  if (!built && inCI) throw new Error('apps/cli/dist is missing: CI must build before testing (pnpm verify does)');
  const socket = `fstool-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  afterAll(() => {
    runTool('tmux', ['-L', socket, 'kill-server']);
  });
  const tmux = (...args: string[]) => mustRun('tmux', ['-L', socket, ...args]);
  const screen = (name: string) => tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', name);
  /** Polls the pane until `re` matches (the program answers asynchronously). */
  const waitFor = async (name: string, re: RegExp): Promise<string> => {
    let text = '';
    for (let i = 0; i < 300; i++) {
      text = screen(name);
      if (re.test(text)) return text;
      await sleep(100);
    }
    throw new Error(`${re} never appeared; the screen was:\n${text}`);
  };
  /** Runs a shell command line in a detached session of its own; the pane stays after it ends. */
  const start = (name: string, cmd: string) =>
    tmux('new-session', '-d', '-s', name, '-x', '150', '-y', '50', `${cmd}; echo "[exit $?]"; sleep 600`);
  return { bin, built, tmux, screen, waitFor, start };
}
