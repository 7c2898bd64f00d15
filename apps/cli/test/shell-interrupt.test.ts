import { closeSync, mkdirSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';
import { bin, built } from './spawn-cli.js';

// Ctrl-C in `fstool shell` on a real terminal (tmux), as shell-tty.test.ts drives it.
const tmp = tempDir('fstool-shint-');
const socket = `fstool-shint-${process.pid}`;
afterAll(() => {
  runTool('tmux', ['-L', socket, 'kill-server']);
  tmp.cleanup();
});
const tmux = (...args: string[]) => mustRun('tmux', ['-L', socket, ...args]);
/** The tmux session the helpers below talk to (one per test). */
let session = '';
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);

async function waitFor(re: RegExp): Promise<string> {
  let text = '';
  for (let i = 0; i < 300; i++) {
    text = screen();
    if (re.test(text)) return text;
    await sleep(100);
  }
  throw new Error(`${re} never appeared; the screen was:\n${text}`);
}
const type = (line: string) => tmux('send-keys', '-t', session, '-l', line);
const key = (...keys: string[]) => tmux('send-keys', '-t', session, ...keys);
/** Starts `fstool shell IMG` in a new tmux session; the pane stays after it exits. */
function startShell(name: string, img: string): void {
  session = name;
  tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    '150',
    '-y',
    '40',
    `node ${bin} shell ${img}; echo "[exit $?]"; sleep 600`,
  );
}

describe.skipIf(!built || !haveTools('tmux', 'e2fsck'))('Ctrl-C in fstool shell', () => {
  it('cancels a half-typed line, stops a running put with a report, and the prompt keeps working', async () => {
    const src = tmp.join('src');
    mkdirSync(src);
    writeFileSync(`${src}/hello`, 'hi\n');
    const files = 4000;
    mkdirSync(tmp.join('host/tree'), { recursive: true });
    for (let i = 0; i < files; i++) writeFileSync(tmp.join(`host/tree/f${i}`), `${i}\n`);
    const img = tmp.join('shell.ext4');
    expect((await cli('ext-build', src, '-o', img, '--size', '48MiB')).code).toBe(0);

    startShell('tree', img);
    await waitFor(/fstool:\/> $/m);
    type('rm /hello');
    key('C-c');
    await waitFor(/fstool:\/> rm \/hello\^C\nfstool:\/> $/m);
    type('pwd');
    key('Enter');
    await waitFor(/fstool:\/> pwd\n\/\nfstool:\/> $/m);

    type(`put ${tmp.join('host/tree')} /`);
    key('Enter');
    await sleep(1000);
    key('C-c');
    const text = await waitFor(/not added: .*\nfstool:\/> $/m);
    expect(text).toMatch(/^interrupted$/m);
    const added = Number(/added (\d+) of (\d+) entries/.exec(text)?.[1]);
    expect(/added \d+ of (\d+) entries/.exec(text)?.[1]).toBe(String(files + 1));
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThan(files + 1);
    type('ls /');
    key('Enter');
    await waitFor(/^tree$/m);
    type('exit');
    key('Enter');
    await waitFor(/\[exit 0\]/);

    expect((await cli('cat', img, '/hello')).bytes.toString()).toBe('hi\n');
    expect((await cli('ls', img, '/tree')).out.split('\n').filter(Boolean)).toHaveLength(added - 1);
    const fsck = runTool('e2fsck', ['-fn', img]);
    expect(fsck.code, fsck.stdout).toBe(0);
  });

  it('Ctrl-C during the put of one big file stops it; nothing is leaked (e2fsck clean)', async () => {
    const src = tmp.join('src2');
    mkdirSync(src);
    writeFileSync(`${src}/hello`, 'hi\n');
    const big = tmp.join('big.bin');
    const chunk = Buffer.alloc(2 ** 20, 0x5a);
    const fd = openSync(big, 'w');
    for (let i = 0; i < 768; i++) writeSync(fd, chunk);
    closeSync(fd);
    const img = tmp.join('big.ext4');
    expect((await cli('ext-build', src, '-o', img, '--size', '832MiB')).code).toBe(0);

    startShell('big', img);
    await waitFor(/fstool:\/> $/m);
    // Ctrl-C once the data is visibly flowing into the image (a fixed delay raced a fast put).
    const used = () => statSync(img).blocks * 512;
    const before = used();
    type(`put ${big} /`);
    key('Enter');
    for (let i = 0; i < 3000 && used() < before + 32 * 2 ** 20; i++) await sleep(5);
    key('C-c');
    await waitFor(/^interrupted\nfstool:\/> $/m);
    type('exit');
    key('Enter');
    await waitFor(/\[exit 0\]/);
    rmSync(big);

    expect((await cli('stat', img, '/big.bin')).code).toBe(2);
    const fsck = runTool('e2fsck', ['-fn', img]);
    expect(fsck.code, fsck.stdout).toBe(0);
  });
});
