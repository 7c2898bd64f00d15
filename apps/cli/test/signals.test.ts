import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, built, start } from './spawn-cli.js';

const tmp = tempDir('fstool-sig-');
const socket = `fstool-sig-${process.pid}`;
afterAll(() => {
  runTool('tmux', ['-L', socket, 'kill-server']);
  tmp.cleanup();
});

const raw = tmp.join('random.raw');
const out = tmp.join('out', 'disk.qcow2');
const temps = () => readdirSync(tmp.join('out')).filter((n) => n.includes('.fstool-'));

beforeAll(() => {
  // Random data: --compress works hard on it, so a convert runs long enough to be interrupted.
  writeFileSync(raw, randomBytes(32 * 2 ** 20));
  mkdirSync(tmp.join('out'));
});

/** Starts `convert --compress` and resolves once its temporary output exists. */
async function convertUntilTemp() {
  const r = start(['convert', '--compress', raw, out]);
  r.child.stdin.end();
  for (let i = 0; i < 400 && temps().length === 0; i++) await sleep(25);
  expect(temps()).toHaveLength(1);
  return r;
}

describe.skipIf(!built || !haveTools('tmux'))('signals during a build', () => {
  it('SIGINT, SIGTERM and SIGHUP remove the temporary file; the process dies of the signal', async () => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const r = await convertUntilTemp();
      r.child.kill(signal);
      const ended = await r.exited;
      expect(ended.signal, r.err()).toBe(signal);
      expect(temps()).toEqual([]);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('a SIGKILL leftover carries the pid, and the next run names it as stale', async () => {
    const r = await convertUntilTemp();
    const [name] = temps();
    expect(name).toBe(`.disk.qcow2.fstool-${r.child.pid}-${name?.split('-').pop()}`);
    r.child.kill('SIGKILL');
    await r.exited;
    const again = start(['convert', raw, out]);
    again.child.stdin.end();
    expect((await again.exited).code, again.err()).toBe(0);
    expect(again.err()).toContain(
      `warning: ${tmp.join('out', name as string)} was left by an fstool process that no longer runs`,
    );
    rmSync(tmp.join('out', name as string));
  });

  it('Ctrl-C on a terminal while the progress bar shows: cursor and line wrap come back', async () => {
    const tmux = (...args: string[]) => mustRun('tmux', ['-L', socket, ...args]);
    const target = tmp.join('out', 'tty.qcow2');
    tmux(
      'new-session',
      '-d',
      '-s',
      'bar',
      '-x',
      '120',
      '-y',
      '20',
      `trap : INT; node ${bin} convert --compress ${raw} ${target}; sleep 600`,
    );
    let screen = '';
    for (let i = 0; i < 300 && !/convert \[/.test(screen); i++) {
      await sleep(50);
      screen = tmux('capture-pane', '-p', '-t', 'bar');
    }
    expect(screen).toMatch(/convert \[/);
    expect(tmux('display', '-p', '-t', 'bar', '#{cursor_flag} #{wrap_flag}').trim()).toBe('0 0');
    tmux('send-keys', '-t', 'bar', 'C-c');
    for (let i = 0; i < 100 && temps().length > 0; i++) await sleep(50);
    await sleep(200);
    expect(tmux('display', '-p', '-t', 'bar', '#{cursor_flag} #{wrap_flag}').trim()).toBe('1 1');
    expect(temps()).toEqual([]);
    expect(existsSync(target)).toBe(false);
  });
});
