// Child process of add.bench.ts: copies a host tree into an existing ext image the way
// `fstool add IMG DIR /dest` does (one batch, from dist/), and prints the entries added.
import { FileDevice } from '@fstool/blockdev/node';
import { openExt } from '@fstool/ext';
import { joinPath } from '@fstool/fs';
import { scanDirectory } from '@fstool/fs/node';

const [img, src, dest] = process.argv.slice(2);
const dev = await FileDevice.open(img, { writable: true });
const fs = await openExt(dev, { writable: true });
let n = 0;
await fs.batch(async () => {
  for await (const e of scanDirectory(src, { xattrs: 'none' }).entries()) {
    const path = e.path === '/' ? dest : joinPath(dest, e.path);
    await fs.add(path, { ...e, path });
    n++;
  }
});
await fs.close();
await dev.close();
console.log(n);
