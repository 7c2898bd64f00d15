/**
 * Building ext2/3/4: plan from the tree summary, then write. Its own module so that opening an
 * image loads only the reader (the driver object imports this on first build).
 */
import { type BlockDevice, InvalidArgumentError } from '@fstool/blockdev';
import { type BuildContext, type BuildReport, encodeName, NoSpaceError, type SourceTree } from '@fstool/fs';
import { featureNames } from './format/superblock.js';
import { computeGeometry } from './plan/geometry.js';
import { inodesNeeded, minimumSize } from './plan/minimum.js';
import { type ExtOptions, extType, resolveFeatures } from './plan/options.js';
import { makePlan } from './plan/plan.js';
import { summarize, type TreeSummary } from './plan/summary.js';
import { formatUuid, parseUuid, randomUuid } from './uuid.js';
import { writeImage } from './write/index.js';

function labelBytes(label: string | undefined): Uint8Array {
  const out = new Uint8Array(16);
  if (label === undefined) return out;
  const b = encodeName(label);
  if (b.length > 16) throw new InvalidArgumentError(`label ${JSON.stringify(label)} is longer than 16 bytes`);
  out.set(b);
  return out;
}

function setup(tree: TreeSummary, opts: ExtOptions, ctx: BuildContext) {
  const type = extType(ctx.type);
  const features = resolveFeatures(type, opts);
  return { type, features, summary: tree };
}

/** The smallest device that holds the tree with these options. */
export async function extMinimumSize(tree: SourceTree, opts: ExtOptions, ctx: BuildContext): Promise<number> {
  const { features, summary } = setup(await summarize(tree, opts.sparse ?? true), opts, ctx);
  const hashSeed = opts.hashSeed !== undefined ? parseUuid(opts.hashSeed, 'hash seed') : undefined;
  return minimumSize({ summary, opts, features, ...(hashSeed ? { hashSeed } : {}) });
}

/** Plans and writes the filesystem for `tree` onto `dev`. */
export async function extBuild(
  dev: BlockDevice,
  tree: SourceTree,
  opts: ExtOptions,
  ctx: BuildContext,
): Promise<BuildReport> {
  const { type, features, summary } = setup(await summarize(tree, opts.sparse ?? true), opts, ctx);
  const warnings: string[] = [];
  const onWarning = (m: string) => {
    warnings.push(m);
    ctx.onWarning?.(m);
  };
  const uuid = opts.uuid !== undefined ? parseUuid(opts.uuid, 'uuid') : randomUuid();
  const hashSeed = opts.hashSeed !== undefined ? parseUuid(opts.hashSeed, 'hash seed') : randomUuid();
  const label = labelBytes(opts.label);
  const createdAt = opts.createdAt ?? Math.max(0, summary.newestMtime);
  let plan: ReturnType<typeof makePlan>;
  try {
    const geo = computeGeometry({
      size: dev.size,
      opts,
      features,
      inodesNeeded: inodesNeeded(summary, opts),
      onWarning,
    });
    plan = makePlan({ summary, geo, uuid, hashSeed, createdAt, onWarning });
  } catch (e) {
    if (!(e instanceof NoSpaceError)) throw e;
    // Say how big the device would have to be.
    const need = minimumSize({ summary, opts: { ...opts, headroom: 0, fitOnly: true }, features, hashSeed });
    throw new NoSpaceError(
      `${type}: the tree needs a device of at least ${need} bytes, this one has ${dev.size} (${e.message})`,
    );
  }
  const result = await writeImage(dev, plan, {
    zeroed: opts.zeroed ?? false,
    label,
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  });
  const geo = plan.geo;
  return {
    type,
    size: geo.blocksCount * geo.blockSize,
    usedBytes: (geo.blocksCount - result.freeBlocks) * geo.blockSize,
    entries: summary.nodes.length,
    warnings,
    details: {
      blockSize: geo.blockSize,
      blocks: geo.blocksCount,
      freeBlocks: result.freeBlocks,
      inodes: geo.inodesCount,
      freeInodes: result.freeInodes,
      inodeSize: geo.inodeSize,
      groups: geo.groups,
      journalBlocks: geo.journalBlocks,
      reservedGdtBlocks: geo.reservedGdtBlocks,
      features: featureNames(geo.features),
      uuid: formatUuid(uuid),
      hashSeed: formatUuid(hashSeed),
      createdAt,
      dataBytes: result.dataBytes,
      metadataBytes: result.metadataBytes,
    },
  };
}
