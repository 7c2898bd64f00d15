import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, expect, it, vi } from 'vitest';

// The README's browser example runs as written (imported as a module beside this test).
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const browser = /## In a browser[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
const snippet = new URL('./readme-browser.snippet.ts', import.meta.url);
afterAll(() => rmSync(snippet, { force: true }));

it('runs the fstool/browser example and prints what it says', async () => {
  expect(browser).toBeDefined();
  writeFileSync(snippet, browser as string);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await import(/* @vite-ignore */ snippet.href);
  expect(log).toHaveBeenCalledWith('raw', ['/hello.txt', '/lost+found']);
  log.mockRestore();
});
