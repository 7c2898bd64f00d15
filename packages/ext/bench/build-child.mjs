// Child process of build.bench.ts: builds one ext4 image with fstool's driver (from dist/),
// so its wall time and peak RSS are measured apart from the benchmark runner.
import { FileDevice } from '@fstool/blockdev/node';
import { extDriver } from '@fstool/ext';
import { scanDirectory } from '@fstool/fs/node';

const [src, out, size] = process.argv.slice(2);
const dev = await FileDevice.create(out, { size: Number(size), overwrite: true });
try {
  await extDriver.build(
    dev,
    scanDirectory(src, { xattrs: 'none' }),
    { uuid: '01234567-89ab-cdef-0123-456789abcdef', hashSeed: '01234567-89ab-cdef-0123-456789abcdef', zeroed: true },
    { type: 'ext4' },
  );
} finally {
  await dev.close();
}
