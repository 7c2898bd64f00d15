#!/usr/bin/env node
// `fstool --version` needs no command parser or driver: it is answered before anything loads.
const [flag, ...rest] = process.argv.slice(2);
if ((flag === '--version' || flag === '-V') && rest.length === 0) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  await import('./dist/main.js');
}
