/**
 * What the real checkers say about an image after an interrupted edit, reduced to one verdict:
 * clean, leaks only, or damaged (with the lines that made it so).
 *
 * "Leaks only" means what soft updates (McKusick and Ganger) allow after a crash: space or
 * inodes marked in use that nothing uses, link counts too high, and summary counters that
 * disagree with the bitmaps — never the other way round. Precisely, for `e2fsck -fn` (exit 4 when
 * it would have fixed something) every problem line must be one of:
 *   - `Block bitmap differences:` / `Inode bitmap differences:` listing only `-N` or `-(A--B)`
 *     (marked used, found free: a leak; a `+` means something in use is marked free, which
 *     could be handed out twice — damage);
 *   - `Free blocks count wrong …` / `Free inodes count wrong …` (group or whole filesystem);
 *   - `Directories count wrong for group #N …` (a counter, the directory itself is intact);
 *   - `Unattached inode N` / `Unattached zero-length inode N` (an allocated inode no name
 *     reaches: the inode leak; e2fsck links it into lost+found or clears it), and for a
 *     directory `Unconnected directory inode N` with its `'..' in ... should be <The NULL inode>`;
 *   - `Inode N ref count is A, should be B` with A > B (a link count too high; lower is damage);
 * plus e2fsck's own framing (`Pass N: …`, `Fix? no`, the summary line). Anything else — a
 * directory entry pointing at a freed inode, a link count too low, a block claimed twice, a bad
 * checksum — is damage.
 * An ext image with a journal is judged as the kernel or e2fsck would find it: the journal is
 * replayed first (`e2fsck -E journal_only -y`, on the judge's own copy; without `-f` that
 * replays and stops, it never repairs anything else), then checked.
 * For `fsck.vfat -n`: lost cluster chains and a wrong free-cluster count in FSInfo (and a FAT
 * copy that differs while the first is intact, since writes go to the first copy first).
 * For `qemu-img check`: exit 0, or exit 3 with `corruptions: 0` (leaked clusters only).
 */
import { runTool } from './tools.js';

export type Verdict = { state: 'clean' | 'leaks' | 'damaged'; problems: string[]; output: string };

const E2FSCK_FRAMING = [
  /^e2fsck \d/,
  /^Pass \d[a-z]?: /,
  /^Fix\? no$/,
  /^\S+: \d+\/\d+ files \(.*\), \d+\/\d+ blocks$/,
  /^\S+: \*+ WARNING: Filesystem still has errors \*+$/,
  /^$/,
];
/**
 * What `e2fsck -fn` says about an image beyond its framing (banner, pass lines, summary): empty
 * for a clean image. Stricter than exit 0, which e2fsck also gives after e.g. "Resize inode not
 * valid. Recreate? no".
 */
export function e2fsckNoise(path: string): string[] {
  const r = runTool('e2fsck', ['-fn', path]);
  const noise = (r.stdout + r.stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => !E2FSCK_FRAMING.some((re) => re.test(l)) || /^Fix\? no$/.test(l));
  return r.code === 0 ? noise : [`exit ${r.code}`, ...noise];
}

const E2FSCK_LEAKS = [
  /^Free (blocks|inodes) count wrong( for group #\d+)? \(\d+, counted=\d+\)\.$/,
  /^Directories count wrong for group #\d+ \(\d+, counted=\d+\)\.$/,
  /^Unattached inode \d+$/,
  // A new directory no entry reaches yet (the directory form of an unattached inode): e2fsck
  // would reconnect it to lost+found and reset its `..`.
  /^Unconnected directory inode \d+ \(was in .*\)$/,
  /^'\.\.' in \.\.\. \(\d+\) is .* \(\d+\), should be <The NULL inode> \(0\)\.$/,
  /^Unattached zero-length inode \d+\.\s+Clear\? no$/,
  /^Connect to \/lost\+found\? no$/,
];

export function e2fsckVerdict(path: string): Verdict {
  // Replays committed transactions only (a no-op without a journal or with an empty one).
  const replay = runTool('e2fsck', ['-E', 'journal_only', '-y', path]);
  if (replay.code > 1) {
    return {
      state: 'damaged',
      problems: [`journal replay: exit ${replay.code}`],
      output: replay.stdout + replay.stderr,
    };
  }
  const r = runTool('e2fsck', ['-fn', path]);
  const output = r.stdout + r.stderr;
  if (r.code === 0) return { state: 'clean', problems: [], output };
  const problems: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (E2FSCK_FRAMING.some((re) => re.test(line)) || E2FSCK_LEAKS.some((re) => re.test(line))) continue;
    const bitmap = /^(Block|Inode) bitmap differences: (.*)$/.exec(line);
    if (bitmap) {
      const items = (bitmap[2] ?? '').trim().split(/\s+/);
      if (items.every((it) => /^-(\d+|\(\d+--\d+\))$/.test(it))) continue;
    }
    const refs = /^Inode \d+ ref count is (\d+), should be (\d+)\.\s+Fix\? no$/.exec(line);
    if (refs && Number(refs[1]) > Number(refs[2])) continue;
    problems.push(line);
  }
  return { state: r.code === 4 && problems.length === 0 ? 'leaks' : 'damaged', problems, output };
}

const FSCK_VFAT_OK = [
  /^fsck\.fat /,
  /^Checking we can access the last sector/,
  /^Free cluster summary (wrong|uninitialized)/,
  /^\d+ vs\. really \d+/,
  /^Auto-correcting\.?$/,
  /^Reclaimed \d+ unused clusters? \(\d+ bytes\)( in \d+ chains?)?\.$/,
  /^FATs differ but appear to be intact\.$/,
  /^Using first FAT\.$/,
  /^Leaving filesystem unchanged\.$/,
  /^\S+: \d+ files, \d+\/\d+ clusters$/,
  /^$/,
];

export function fsckVfatVerdict(path: string): Verdict {
  const r = runTool('fsck.vfat', ['-n', path]);
  const output = r.stdout + r.stderr;
  const problems = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => !FSCK_VFAT_OK.some((re) => re.test(l)));
  if (problems.length > 0 || r.code > 1) return { state: 'damaged', problems, output };
  return { state: /Reclaimed|Free cluster summary|FATs differ/.test(output) ? 'leaks' : 'clean', problems, output };
}

export function qemuImgCheckVerdict(path: string): Verdict {
  const r = runTool('qemu-img', ['check', '--output=json', path]);
  const output = r.stdout + r.stderr;
  let report: { corruptions?: number; leaks?: number; 'check-errors'?: number } = {};
  try {
    report = JSON.parse(r.stdout);
  } catch {
    return { state: 'damaged', problems: [`unreadable: ${output.trim()}`], output };
  }
  if (r.code === 0) return { state: 'clean', problems: [], output };
  if (r.code === 3 && !report.corruptions && !report['check-errors']) return { state: 'leaks', problems: [], output };
  return { state: 'damaged', problems: [`exit ${r.code}: ${r.stdout.trim()}`], output };
}
