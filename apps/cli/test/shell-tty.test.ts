import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';
import { terminal } from './tty.js';

// A real terminal session: `node bin.js shell` inside tmux, keys sent with send-keys, the screen
// read with capture-pane. Needs the built CLI (the root test task builds it first).
const { bin, built, tmux, waitFor, start: startCmd } = terminal();
const tmp = tempDir('fstool-tty-');
afterAll(() => tmp.cleanup());

/** Starts `fstool shell ARGS…` in a detached tmux session; the pane stays after it exits. */
const start = (name: string, ...args: string[]) => startCmd(name, `node ${bin} shell ${args.join(' ')}`);

const type = (name: string, line: string) => tmux('send-keys', '-t', name, '-l', line);
const key = (name: string, ...keys: string[]) => tmux('send-keys', '-t', name, ...keys);

const src = tmp.join('src');
mkdirSync(`${src}/etc`, { recursive: true });
writeFileSync(`${src}/etc/hostname`, 'box\n');
writeFileSync(tmp.join('motd'), 'welcome\n');

describe.skipIf(!built || !haveTools('tmux', 'e2fsck', 'fsck.vfat', 'qemu-img', 'sfdisk'))(
  'fstool shell on a TTY',
  () => {
    it('ext4 partition of a GPT qcow2 disk: prompt, history, completion; Ctrl-C flushes the image', async () => {
      writeFileSync(
        tmp.join('disk.toml'),
        `[image]\nsize = "40MiB"\npartition_table = "gpt"\n[[partitions]]\ntype = "linux"\nsize = "4MiB"\n[[partitions]]\ntype = "linux"\nsize = "remaining"\n  [partitions.filesystem]\n  type = "ext4"\n  source = "src"\n  volume_label = "root"\n`,
      );
      const disk = tmp.join('disk.qcow2');
      expect((await cli('build', tmp.join('disk.toml'), '-o', disk)).code).toBe(0);

      start('ext', `${disk}:2`);
      await waitFor('ext', /ext4 "root" on .*disk\.qcow2:2\. Type help/);
      await waitFor('ext', /fstool:\/> $/m);
      type('ext', 'cd etc');
      key('ext', 'Enter');
      await waitFor('ext', /fstool:\/etc> $/m);
      type('ext', 'cat hostname');
      key('ext', 'Enter');
      await waitFor('ext', /^box$/m);
      // History: Up brings back "cat hostname".
      key('ext', 'Up');
      await waitFor('ext', /fstool:\/etc> cat hostname$/m);
      key('ext', 'C-u');
      type('ext', `put ${tmp.join('motd')} /etc`);
      key('ext', 'Enter');
      await waitFor('ext', /motd -> \/etc \(1 entry\)/);
      type('ext', 'mkdir -p /srv/www');
      key('ext', 'Enter');
      // Keys typed while a command runs are not completed: wait for the next prompt first.
      await waitFor('ext', /mkdir -p \/srv\/www\nfstool:\/etc> $/m);
      // Tab completes command names.
      type('ext', 'pw');
      key('ext', 'Tab');
      key('ext', 'Enter');
      await waitFor('ext', /pwd\n\/etc\n/);
      type('ext', 'rm /nope');
      key('ext', 'Enter');
      await waitFor('ext', /\/nope: no such file or directory/);
      key('ext', 'C-c');
      await waitFor('ext', /\[exit 0\]/);

      expect((await cli('cat', `${disk}:2`, '/etc/motd')).bytes.toString()).toBe('welcome\n');
      expect(JSON.parse((await cli('stat', `${disk}:2`, '/srv/www', '--json')).out).kind).toBe('dir');
      const raw = tmp.join('disk.raw');
      mustRun('qemu-img', ['convert', '-O', 'raw', disk, raw]);
      const p = JSON.parse(mustRun('sfdisk', ['--json', raw])).partitiontable.partitions[1];
      const part = tmp.join('root.ext4');
      mustRun('dd', [`if=${raw}`, `of=${part}`, 'bs=512', `skip=${p.start}`, `count=${p.size}`, 'status=none']);
      const fsck = runTool('e2fsck', ['-fn', part]);
      expect(fsck.code, fsck.stdout).toBe(0);
    });

    it('FAT32 image: --ro refuses writes; then a writable session ends with Ctrl-D', async () => {
      const img = tmp.join('esp.vfat');
      expect((await cli('fat-build', src, '-o', img, '--fat', '32', '--size', '40MiB')).code).toBe(0);

      start('ro', img, '--ro');
      await waitFor('ro', /fstool:\/ \(ro\)> $/m);
      type('ro', 'mkdir /x');
      key('ro', 'Enter');
      await waitFor('ro', /mkdir: the session is read-only/);
      type('ro', 'exit');
      key('ro', 'Enter');
      await waitFor('ro', /\[exit 0\]/);

      start('fat', img);
      await waitFor('fat', /fstool:\/> $/m);
      type('fat', `put ${tmp.join('motd')} /etc/motd.txt`);
      key('fat', 'Enter');
      await waitFor('fat', /motd -> /);
      type('fat', 'rm /etc/hostname');
      key('fat', 'Enter');
      type('fat', 'ls /etc');
      key('fat', 'Enter');
      await waitFor('fat', /^motd\.txt$/m);
      key('fat', 'C-d');
      await waitFor('fat', /\[exit 0\]/);
      const fsck = runTool('fsck.vfat', ['-n', img]);
      expect(fsck.code, fsck.stdout).toBe(0);
      expect(mustRun('mtype', ['-i', img, '::/etc/motd.txt'])).toBe('welcome\n');
    });
  },
);

describe.skipIf(!built || !haveTools('e2fsck'))('fstool shell, piped, interrupted', () => {
  it('SIGINT while waiting for input closes the session and leaves the image consistent', async () => {
    const img = tmp.join('sig.ext4');
    expect((await cli('ext-build', src, '-o', img, '--kind', 'ext4', '--size', '8MiB')).code).toBe(0);
    const child = spawn(process.execPath, [bin, 'shell', img], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const exited = once(child, 'exit');
    child.stdin.write(`mkdir -p /var/cache\nput ${tmp.join('motd')} /var/cache\npwd\n`);
    for (let i = 0; i < 300 && !out.includes('/\n'); i++) await sleep(50);
    child.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(out).toBe('/\n');
    const fsck = runTool('e2fsck', ['-fn', img]);
    expect(fsck.code, fsck.stdout).toBe(0);
    expect((await cli('cat', img, '/var/cache/motd')).bytes.toString()).toBe('welcome\n');
  });
});
