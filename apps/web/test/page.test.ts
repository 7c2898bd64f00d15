import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  e2fsckVerdict,
  fsckVfatVerdict,
  haveTools,
  mustRun,
  qemuImgCheckVerdict,
  runTool,
  tempDir,
} from '@fstool/testkit/node';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../cli/test/run-cli.js';
import { blobBytes, blobDigest, buildSite, haveChromium, launch, save, serve, shot } from './harness.js';

const tools = [
  'e2fsck',
  'debugfs',
  'mke2fs',
  'fsck.vfat',
  'mkfs.vfat',
  'mcopy',
  'mdir',
  'sgdisk',
  'sfdisk',
  'qemu-img',
  'tar',
];
const ready = haveChromium() && haveTools(...tools);

/** The partitions of a disk image as sfdisk reads them: byte offset and size. */
function partitions(img: string): Array<{ start: number; size: number }> {
  const table = JSON.parse(mustRun('sfdisk', ['--json', img])).partitiontable;
  const sector = table.sectorsize ?? 512;
  return table.partitions.map((p: { start: number; size: number }) => ({
    start: p.start * sector,
    size: p.size * sector,
  }));
}

/** Cuts partition `n` (1-based) out of a raw disk image into its own file. */
function partition(img: string, n: number, out: string): string {
  const p = partitions(img)[n - 1]!;
  return save(out, readFileSync(img).subarray(p.start, p.start + p.size));
}

const random = (n: number, seed: number) => {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};

describe.skipIf(!ready)('the page in Chromium', () => {
  const tmp = tempDir('fstool-web-');
  let context: BrowserContext;
  let page: Page;
  let site: Awaited<ReturnType<typeof serve>>;
  const requests: string[] = [];
  // A source tree with plain permissions: what a browser can know of dropped files.
  const files = tmp.join('src', 'files');
  const content = {
    'hello.txt': 'hello from the browser\n',
    'etc/hostname': 'fstool-web\n',
    'deep/a/b/c.txt': 'deep file\n'.repeat(50),
  };

  beforeAll(async () => {
    for (const [name, text] of Object.entries(content)) {
      mkdirSync(join(files, name, '..'), { recursive: true });
      writeFileSync(join(files, name), text);
    }
    mkdirSync(join(files, 'bin'));
    writeFileSync(join(files, 'bin', 'blob.bin'), random(300_000, 7));
    mustRun('sh', [
      '-c',
      `find "${files}" -type d -exec chmod 0755 {} + && find "${files}" -type f -exec chmod 0644 {} +`,
    ]);
    chmodSync(files, 0o755);
    await buildSite(tmp.join('site'));
    site = await serve(tmp.join('site'));
    context = await launch(tmp.join('profile'));
    context.on('request', (r) => requests.push(r.url()));
    // A stand-in for the native "save as" dialog, which a headless browser cannot answer: the
    // handle it gives is a real file (in OPFS), so the page streams into it as into a user's file.
    // The same for the folder picker: it answers with the OPFS folder "picked-tree".
    await context.addInitScript(() => {
      Object.assign(window, {
        showSaveFilePicker: async ({ suggestedName }: { suggestedName: string }) =>
          (await navigator.storage.getDirectory()).getFileHandle(`picked-${suggestedName}`, { create: true }),
        showDirectoryPicker: async () =>
          (await navigator.storage.getDirectory()).getDirectoryHandle('picked-tree', { create: true }),
      });
    });
    page = await context.newPage();
    await page.goto(`${site.origin}/`);
  });

  afterAll(async () => {
    await context?.close();
    await site?.close();
    tmp.cleanup();
  });

  /** The file a link of the page offers (its blob), saved under `name` in the temp dir. */
  async function fromLink(selector: string, name: string): Promise<string> {
    const href = await page.getAttribute(selector, 'href');
    return save(tmp.join(name), await blobBytes(page, { href: href ?? '' }));
  }

  /** Picks a layout, drops the folder, builds; returns the status line once the build is done. */
  async function buildFromPage(layout: string, format: 'raw' | 'qcow2'): Promise<string> {
    await page.click('#tab-build');
    await page.setInputFiles('#folder', files);
    await expect.poll(() => page.textContent('#file-count')).toContain('4 files');
    await page.selectOption('#layout', layout);
    await page.selectOption('#format', format);
    await page.click('#build');
    await page.waitForSelector('#download:not([hidden])');
    return (await page.textContent('#build-status')) ?? '';
  }

  it('live validation shows the CLI messages, with their lines marked in the editor', async () => {
    const bad = '[filesystem]\ntype = "ext4"\nsize = "12XB"\ncolour = "blue"\n';
    await page.fill('#spec', bad);
    const shown = await page.$$eval('#issues li', (lis) => lis.map((li) => li.textContent));
    writeFileSync(tmp.join('spec.toml'), bad);
    const r = await cli('build', tmp.join('spec.toml'), '-o', tmp.join('never.img'));
    expect(r.code).toBe(2);
    const fromCli = shown.map((line) => r.err.includes((line ?? '').replace(/^spec\.toml/, tmp.join('spec.toml'))));
    expect(shown.length).toBe(2);
    expect(fromCli).toEqual([true, true]);
    expect(await page.$$eval('#gutter .bad', (d) => d.map((x) => x.textContent))).toEqual(['3', '4']);
    expect(await page.isDisabled('#build')).toBe(true);
    await shot(page, '1-spec-errors');
  });

  it('builds GPT (ESP + root) byte-identical to `fstool build`, judged by sgdisk, e2fsck and fsck.vfat', async () => {
    await page.selectOption('#layout', 'ext4'); // leave the bad text
    const status = await buildFromPage('gpt', 'raw');
    expect(status).toMatch(/GPT image \(raw\).*on disk \(OPFS\)/);
    await shot(page, '2-built-gpt');
    const fromPage = await blobDigest(page, (await page.getAttribute('#download', 'href')) ?? '');

    const spec = await page.inputValue('#spec');
    writeFileSync(tmp.join('src', 'gpt.toml'), spec);
    const r = await cli('build', tmp.join('src', 'gpt.toml'), '-o', tmp.join('cli-gpt.img'));
    expect(r.code, r.err).toBe(0);
    // Byte-identical (by SHA-256, so 45 MB need not cross into the test), so the real tools'
    // verdicts on the CLI's image are verdicts on the page's.
    const img = tmp.join('cli-gpt.img');
    expect(fromPage).toBe(createHash('sha256').update(readFileSync(img)).digest('hex'));

    expect(runTool('sgdisk', ['-v', img]).stdout).toContain('No problems found');
    const root = partition(img, 2, tmp.join('root.ext4'));
    expect(e2fsckVerdict(root).state).toBe('clean');
    expect(mustRun('debugfs', ['-R', 'cat /deep/a/b/c.txt', root])).toBe(content['deep/a/b/c.txt']);
    expect(fsckVfatVerdict(partition(img, 1, tmp.join('esp.vfat'))).state).toBe('clean');
  });

  it('builds a Raspberry Pi qcow2 and streams it into a picked file, judged by qemu-img check', async () => {
    const seen: string[] = [];
    await page.exposeFunction('__progress', (s: string) => seen.push(s));
    await page.evaluate(() => {
      const el = document.getElementById('build-status')!;
      new MutationObserver(() =>
        (window as unknown as { __progress(s: string): void }).__progress(el.textContent ?? ''),
      ).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    const status = await buildFromPage('rpi', 'qcow2');
    expect(status).toMatch(/MBR image \(qcow2\)/);
    // Progress reached the page from the worker while it built.
    expect(seen.some((s) => /partition 2: .* \d+\/\d+/.test(s))).toBe(true);
    await page.click('#save-disk');
    await expect.poll(() => page.textContent('#build-status')).toMatch(/^saved image\.qcow2/);
    await shot(page, '3-saved-qcow2');
    const q = save(tmp.join('rpi.qcow2'), await blobBytes(page, { opfs: 'picked-image.qcow2' }));
    expect(qemuImgCheckVerdict(q).state).toBe('clean');
    const raw = tmp.join('rpi.img');
    mustRun('qemu-img', ['convert', '-O', 'raw', q, raw]);
    expect(fsckVfatVerdict(partition(raw, 1, tmp.join('boot.vfat'))).state).toBe('clean');
    const root = partition(raw, 2, tmp.join('rpi-root.ext4'));
    expect(e2fsckVerdict(root).state).toBe('clean');
    expect(mustRun('debugfs', ['-R', 'ls -p /dev', root])).toContain('/console/');
  });

  it('builds from a folder opened through the File System Access API, empty folders kept', async () => {
    await page.evaluate(async () => {
      const top = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked-tree', { create: true });
      await top.getDirectoryHandle('empty', { create: true });
      const sub = await top.getDirectoryHandle('docs', { create: true });
      const w = await (await sub.getFileHandle('readme.md', { create: true })).createWritable();
      await w.write('# picked\n');
      await w.close();
    });
    await page.selectOption('#layout', 'ext4');
    await page.selectOption('#format', 'raw');
    await page.click('#pick-folder');
    await expect.poll(() => page.textContent('#file-count')).toContain('1 files');
    await page.click('#build');
    await expect.poll(() => page.textContent('#build-status')).toMatch(/^built/);
    const img = await fromLink('#download', 'picked.ext4');
    expect(e2fsckVerdict(img).state).toBe('clean');
    expect(mustRun('debugfs', ['-R', 'ls -p /', img])).toContain('/empty/');
    expect(mustRun('debugfs', ['-R', 'cat /docs/readme.md', img])).toBe('# picked\n');
  });

  it('takes files dropped on the page', async () => {
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['one'], 'one.txt'));
      dt.items.add(new File(['two'], 'two.txt'));
      document.getElementById('drop-build')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
    });
    await expect.poll(() => page.textContent('#file-count')).toBe('2 files (6 bytes) ready');
  });

  it('opens a qcow2 GPT disk: partitions, tree, text and hex preview, stat, file and folder downloads', async () => {
    const q = tmp.join('tools.qcow2');
    mustRun('qemu-img', ['convert', '-O', 'qcow2', tmp.join('cli-gpt.img'), q]);
    await page.click('#tab-open');
    await page.setInputFiles('#image', q);
    await page.waitForSelector('#volumes button');
    expect(await page.textContent('#summary')).toContain('qcow2');
    expect(await page.$$eval('#volumes button', (b) => b.map((x) => x.textContent))).toEqual([
      'partition 1 (ESP): fat32 "ESP"',
      'partition 2 (root): ext4 "root"',
    ]);
    await page.click('#volumes button[data-volume="2"]');
    await page.click('tr[data-path="/hello.txt"]');
    await expect.poll(() => page.textContent('#preview')).toBe(content['hello.txt']);
    expect(await page.textContent('#stat')).toMatch(/mode\s+0100644|mode\s+0644/);
    await shot(page, '4-open-preview-text');
    await page.click('#view-hex');
    expect(await page.textContent('#preview')).toContain('00000000  68 65 6c 6c 6f');
    await shot(page, '5-open-preview-hex');

    await page.click('tr[data-path="/bin"]');
    await page.click('tr[data-path="/bin/blob.bin"]');
    await page.click('#dl-file');
    await page.waitForSelector('#fetched:not([hidden])');
    const blob = await fromLink('#fetched', 'blob.bin');
    expect(Buffer.compare(readFileSync(blob), readFileSync(join(files, 'bin', 'blob.bin')))).toBe(0);

    await page.click('tr[data-path="/"]');
    await page.click('tr[data-path="/deep"]');
    await page.click('#dl-tar');
    await expect.poll(() => page.getAttribute('#fetched', 'download')).toBe('deep.tar');
    const tar = await fromLink('#fetched', 'deep.tar');
    mkdirSync(tmp.join('untar'));
    mustRun('tar', ['-xf', tar, '-C', tmp.join('untar')]);
    expect(readFileSync(tmp.join('untar', 'deep', 'a', 'b', 'c.txt'), 'utf8')).toBe(content['deep/a/b/c.txt']);
    await shot(page, '6-open-folder');
  });

  it('edits an ext4 image made by mke2fs (add, mkdir, rename, remove) and saves a new image e2fsck passes', async () => {
    const img = tmp.join('tools.ext4');
    mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', files, img, '8M']);
    await page.click('#tab-open');
    await page.setInputFiles('#image', img);
    await page.waitForSelector('tr[data-path="/hello.txt"]');
    const added = tmp.join('added.txt');
    writeFileSync(added, 'added in the page\n');
    await page.setInputFiles('#add-files', added);
    await page.waitForSelector('tr[data-path="/added.txt"]');
    await page.fill('#new-name', 'made');
    await page.click('#mkdir');
    await page.waitForSelector('tr[data-path="/made"]');
    await page.click('tr[data-path="/hello.txt"]');
    await page.fill('#new-name', 'renamed.txt');
    await page.click('#rename');
    await page.waitForSelector('tr[data-path="/renamed.txt"]');
    await page.click('tr[data-path="/etc"]');
    await page.click('#remove');
    await page.waitForSelector('tr[data-path="/renamed.txt"]');
    await shot(page, '7-edited');
    await page.click('#save');
    await expect.poll(() => page.getAttribute('#saved', 'download')).toBe('tools-edited.ext4');
    const out = await fromLink('#saved', 'edited.ext4');
    expect(e2fsckVerdict(out).state).toBe('clean');
    const ls = mustRun('debugfs', ['-R', 'ls -p /', out]);
    for (const name of ['added.txt', 'made', 'renamed.txt']) expect(ls).toContain(`/${name}/`);
    for (const name of ['hello.txt', 'etc']) expect(ls).not.toContain(`/${name}/`);
    expect(mustRun('debugfs', ['-R', 'cat /renamed.txt', out])).toBe(content['hello.txt']);
    // The dropped original was not touched.
    expect(mustRun('debugfs', ['-R', 'ls -p /', img])).toContain('/hello.txt/');
  });

  it('edits a FAT image made by mkfs.vfat and mcopy; fsck.vfat passes and mdir sees the changes', async () => {
    const img = tmp.join('tools.vfat');
    mustRun('mkfs.vfat', ['-C', img, '8192']);
    mustRun('mcopy', ['-i', img, join(files, 'hello.txt'), '::HELLO.TXT']);
    await page.click('#tab-open');
    await page.setInputFiles('#image', img);
    await page.waitForSelector('tr[data-path="/HELLO.TXT"]');
    await page.fill('#new-name', 'Folder');
    await page.click('#mkdir');
    await page.waitForSelector('tr[data-path="/Folder"]');
    await page.click('tr[data-path="/Folder"]');
    // The listing arrives asynchronously: files added before it does go to the old directory.
    await expect.poll(() => page.textContent('#cwd')).toBe('/Folder');
    await page.setInputFiles('#add-files', join(files, 'bin', 'blob.bin'));
    await page.waitForSelector('tr[data-path="/Folder/blob.bin"]');
    await page.click('#save');
    await expect.poll(() => page.getAttribute('#saved', 'download')).toBe('tools-edited.vfat');
    const out = await fromLink('#saved', 'edited.vfat');
    expect(fsckVfatVerdict(out).state).toBe('clean');
    expect(mustRun('mdir', ['-i', out, '-b', '::/Folder'])).toContain('blob.bin');
    const copied = tmp.join('copied.bin');
    mustRun('mcopy', ['-i', out, '::/Folder/blob.bin', copied]);
    expect(Buffer.compare(readFileSync(copied), readFileSync(join(files, 'bin', 'blob.bin')))).toBe(0);
  });

  it('works offline once loaded and never asked anything but its own origin', async () => {
    // A fresh page, loaded (worker included) before the server goes away, then opens and builds.
    const img = tmp.join('offline-src.ext4');
    mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', files, img, '4M']);
    const q = tmp.join('offline-src.qcow2');
    mustRun('qemu-img', ['convert', '-O', 'qcow2', img, q]);
    page = await context.newPage();
    await page.goto(`${site.origin}/`);
    await page.waitForLoadState('networkidle');
    await site.close();
    await page.click('#tab-open');
    await page.setInputFiles('#image', q);
    await page.waitForSelector('tr[data-path="/hello.txt"]');
    const status = await buildFromPage('ext4', 'raw');
    expect(status).toContain('built');
    expect(e2fsckVerdict(await fromLink('#download', 'offline.ext4')).state).toBe('clean');
    const foreign = requests.filter((u) => !u.startsWith(`${site.origin}/`) && !/^(blob|data):/.test(u));
    expect(foreign).toEqual([]);
    expect(requests.length).toBeGreaterThan(2);
  });
});
