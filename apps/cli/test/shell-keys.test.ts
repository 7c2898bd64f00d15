import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { terminal } from './tty.js';

const { bin, built, tmux, waitFor, start } = terminal();
const tmp = tempDir('fstool-keys-');
afterAll(() => tmp.cleanup());

const src = tmp.join('src');
mkdirSync(`${src}/etc/conf.d`, { recursive: true });
mkdirSync(`${src}/boot`);
writeFileSync(`${src}/etc/hostname`, 'box\n');
// Like a Raspberry Pi's cmdline.txt: one line, no newline at the end.
writeFileSync(`${src}/boot/cmdline.txt`, 'console=serial0 root=/dev/mmcblk0p2');
writeFileSync(tmp.join('motd-host'), 'welcome\n');
const home = tmp.join('home');
mkdirSync(home);

const type = (name: string, line: string) => tmux('send-keys', '-t', name, '-l', line);
const key = (name: string, ...keys: string[]) => tmux('send-keys', '-t', name, ...keys);

describe.skipIf(!built || !haveTools('tmux', 'mke2fs'))('fstool shell keys on a terminal', () => {
  const img = tmp.join('root.ext4');
  mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', src, img, '8M']);
  const shell = (name: string) => start(name, `cd ${tmp.path} && HOME=${home} node ${bin} shell ${img}`);

  it('Tab completes image paths (and host paths for put); cat keeps a last line; cd into a file fails', async () => {
    shell('a');
    await waitFor('a', /fstool:\/> $/m);
    type('a', 'cat /etc/ho');
    key('a', 'Tab');
    await waitFor('a', /fstool:\/> cat \/etc\/hostname$/m);
    key('a', 'Enter');
    await waitFor('a', /^box\nfstool:\/> $/m);
    type('a', 'cd /et');
    key('a', 'Tab');
    await waitFor('a', /fstool:\/> cd \/etc\/$/m);
    key('a', 'Enter');
    await waitFor('a', /fstool:\/etc> $/m);
    type('a', 'ls con');
    key('a', 'Tab');
    await waitFor('a', /fstool:\/etc> ls conf\.d\/$/m);
    key('a', 'C-u');
    type('a', 'put motd-');
    key('a', 'Tab');
    await waitFor('a', /fstool:\/etc> put motd-host$/m);
    key('a', 'Enter');
    await waitFor('a', /motd-host -> \/etc/);
    type('a', 'cat /boot/cmdline.txt');
    key('a', 'Enter');
    await waitFor('a', /^console=serial0 root=\/dev\/mmcblk0p2\nfstool:\/etc> $/m);
    type('a', 'cd hostname');
    key('a', 'Enter');
    await waitFor('a', /\/etc\/hostname: not a directory/);
    type('a', 'exit');
    key('a', 'Enter');
    await waitFor('a', /\[exit \d\]/);
  });

  it('history persists in ~/.fstool_history; Ctrl-R finds an old line', async () => {
    const saved = readFileSync(`${home}/.fstool_history`, 'utf8');
    expect(saved).toMatch(/^cat \/boot\/cmdline\.txt$/m);
    shell('b');
    await waitFor('b', /fstool:\/> $/m);
    // Up: the last line of the previous session.
    key('b', 'Up');
    await waitFor('b', /fstool:\/> exit$/m);
    key('b', 'C-u');
    key('b', 'C-r');
    type('b', 'cmdl');
    await waitFor('b', /\(reverse-i-search\)'cmdl': cat \/boot\/cmdline\.txt$/m);
    key('b', 'Enter');
    await waitFor('b', /^console=serial0 root=\/dev\/mmcblk0p2\nfstool:\/> $/m);
    key('b', 'C-r');
    type('b', 'zzz');
    await waitFor('b', /\(failed reverse-i-search\)'zzz'/);
    key('b', 'C-g');
    type('b', 'quit');
    key('b', 'Enter');
    await waitFor('b', /\[exit 0\]/);
  });
});
