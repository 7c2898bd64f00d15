import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import TOML from '@iarna/toml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMAS } from '../src/commands/schema.js';
import { cli } from './run-cli.js';

const tmp = tempDir('fstool-json-');
afterAll(() => tmp.cleanup());

const root = join(import.meta.dirname, '..', '..', '..');
const dir = join(root, 'docs', 'json');
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
for (const f of readdirSync(dir)) ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')));

/** Runs `fstool ARGS --json` and checks the output against docs/json/NAME.schema.json. */
async function conforms(name: string, ...argv: string[]) {
  const r = await cli(...argv, '--json');
  expect(r.code, r.err).toBe(0);
  const value = JSON.parse(r.out);
  const validate = ajv.getSchema(`urn:fstool:json:v1:${name}`);
  if (!validate) throw new Error(`no schema ${name}`);
  expect(validate(value), JSON.stringify(validate.errors, null, 2)).toBe(true);
  return value;
}

describe('docs/json: one schema per --json output, and the spec schema', () => {
  it('every schema compiles and `fstool schema NAME` prints it', async () => {
    expect(readdirSync(dir).sort()).toEqual(SCHEMAS.map((s) => `${s}.schema.json`).sort());
    for (const name of SCHEMAS) {
      const r = await cli('schema', name);
      expect(JSON.parse(r.out).$id).toBe(`urn:fstool:json:v1:${name}`);
    }
    expect((await cli('schema', 'nope')).code).toBe(2);
  });

  it('every example spec conforms to the spec schema; a misspelt key does not', async () => {
    const spec = ajv.getSchema('urn:fstool:json:v1:spec');
    const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.toml'));
    expect(examples.length).toBeGreaterThan(3);
    for (const f of examples) {
      const doc = TOML.parse(readFileSync(join(root, 'examples', f), 'utf8'));
      expect(spec?.(JSON.parse(JSON.stringify(doc))), `${f}: ${JSON.stringify(spec?.errors)}`).toBe(true);
    }
    expect(spec?.({ filesystem: { type: 'ext4', volume_lable: 'x' } })).toBe(false);
  });

  it.skipIf(!haveTools('mke2fs', 'qemu-img'))('each command’s --json output conforms to its schema', async () => {
    const src = tmp.join('src');
    mustRun('mkdir', ['-p', `${src}/etc`]);
    mustRun('sh', ['-c', `echo hi > ${src}/etc/motd`]);
    const ext = tmp.join('a.ext4');
    const fat = tmp.join('b.vfat');
    await conforms('build', 'ext-build', src, '-o', ext, '--size', '8MiB');
    const built = await conforms('build', 'fat-build', src, '-o', fat, '--size', '8MiB');
    const q = await conforms('convert', 'convert', ext, tmp.join('a.qcow2'));
    expect(q.format).toBe('qcow2');
    await conforms('build', 'repack', ext, tmp.join('r.ext4'));
    await conforms('ls', 'ls', '-R', ext);
    await conforms('find', 'find', ext, '--type', 'f');
    await conforms('stat', 'stat', ext, '/etc/motd');
    await conforms('df', 'df', ext);
    await conforms('du', 'du', ext);
    await conforms('check', 'check', tmp.join('a.qcow2'));
    await conforms('info', 'info', ext);
    const info = await conforms('info', 'info', fat);
    // One spelling of the FAT volume id across commands: 8 lower-case hex digits.
    expect(info.volumeId).toBe(built.volumes[0].details.volumeId);
    const disk = tmp.join('disk.img');
    mustRun('qemu-img', ['create', '-q', '-f', 'raw', disk, '8M']);
    mustRun('sgdisk', ['-n', '1:2048:0', disk]);
    await conforms('info', 'info', disk);
  });
});
