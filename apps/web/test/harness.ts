import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inCI } from '@fstool/testkit/node';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const appDir = fileURLToPath(new URL('..', import.meta.url));
/** Screenshots of each state land here (the test output; not committed). */
export const shotsDir = join(appDir, 'test-output');

/** True when Chromium is installed; under CI=true a missing one throws (tests may not skip). */
export function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (inCI) throw new Error(`chromium is not installed at ${CHROMIUM} (CI=true: tests may not skip)`);
  return false;
}

/** Builds the page exactly as `pnpm --filter @fstool/web build` does, into `outDir`. */
export async function buildSite(outDir: string): Promise<void> {
  await build({
    configFile: join(appDir, 'vite.config.ts'),
    root: appDir,
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

/** A tiny static server for `dir` on 127.0.0.1; `close()` also drops open connections. */
export async function serve(dir: string): Promise<{ origin: string; close: () => Promise<void>; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = normalize(join(dir, decodeURIComponent(url.pathname)));
    const file =
      path.startsWith(dir) && existsSync(path) && statSync(path).isDirectory() ? join(path, 'index.html') : path;
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/** Debian's Chromium, headless, with a fresh profile in `profileDir`. */
export async function launch(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: false,
    viewport: { width: 1200, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The bytes behind a blob (a download link's href, or an OPFS file by name), carried out in base64 chunks. */
export async function blobBytes(page: Page, from: { href: string } | { opfs: string }): Promise<Buffer> {
  const size = await page.evaluate(async (f) => {
    const blob =
      'href' in f
        ? await (await fetch(f.href)).blob()
        : await (await (await navigator.storage.getDirectory()).getFileHandle(f.opfs)).getFile();
    (window as unknown as { __blob: Blob }).__blob = blob;
    return blob.size;
  }, from);
  const parts: Buffer[] = [];
  const CHUNK = 16 * 2 ** 20;
  for (let at = 0; at < size; at += CHUNK) {
    const b64 = await page.evaluate(
      ([start, end]) =>
        new Promise<string>((ok, ko) => {
          const reader = new FileReader();
          reader.onload = () => ok(String(reader.result).slice(String(reader.result).indexOf(',') + 1));
          reader.onerror = () => ko(reader.error);
          reader.readAsDataURL((window as unknown as { __blob: Blob }).__blob.slice(start, end));
        }),
      [at, Math.min(size, at + CHUNK)],
    );
    parts.push(Buffer.from(b64, 'base64'));
  }
  return Buffer.concat(parts);
}

/** SHA-256 (hex) of the blob behind a link, computed in the page: no bytes cross over. */
export async function blobDigest(page: Page, href: string): Promise<string> {
  return page.evaluate(async (url) => {
    const data = await (await fetch(url)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
    return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, href);
}

/** A screenshot of the page's current state, named for the step. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
}

/** Writes `bytes` to `path` and returns the path. */
export function save(path: string, bytes: Uint8Array): string {
  writeFileSync(path, bytes);
  return path;
}
