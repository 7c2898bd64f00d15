import { describe, expect, it } from 'vitest';
import { parseFilefrag } from '../src/node/extents.js';

describe('filefrag output', () => {
  it('gives merged byte ranges, delayed-allocation extents included', () => {
    const out = `Filesystem type is: ef53
File size of sp.raw is 1073741824 (262144 blocks of 4096 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..       0:    6948864..   6948864:      1:
   1:        1..       3:    6948900..   6948902:      3:    6948865:
   2:     1600..    1647:          0..         0:      0:             unknown_loc,delalloc
   3:   179200..  179455:          0..         0:      0:             last,unknown_loc,delalloc
sp.raw: 4 extents found
`;
    expect(parseFilefrag(out)).toEqual([
      [0, 4 * 4096],
      [1600 * 4096, 1648 * 4096],
      [179200 * 4096, 179456 * 4096],
    ]);
  });

  it('an empty file has no ranges; an unsupported filesystem gives no map', () => {
    expect(parseFilefrag('File size of e is 0 (0 blocks of 4096 bytes)\ne: 0 extents found\n')).toEqual([]);
    expect(
      parseFilefrag('File size of /dev/shm/x is 10 (1 block of 4096 bytes)\n/dev/shm/x: FIBMAP/FIEMAP unsupported\n'),
    ).toBeUndefined();
  });
});
