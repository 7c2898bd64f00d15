/** Levenshtein distance, small strings only (key names). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Words users reach for that are too far from the real key for edit distance to find. */
const SYNONYMS: Record<string, string> = {
  label: 'volume_label',
  fstype: 'type',
  fs: 'filesystem',
  serial: 'volume_id',
  table: 'partition_table',
};

const fold = (s: string) => s.toLowerCase().replace(/[-_ ]/g, '');

/** The closest candidate to `word` if it is close enough to be a plausible typo, else undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const synonym = SYNONYMS[word.toLowerCase()];
  if (synonym !== undefined && candidates.includes(synonym)) return synonym;
  const folded = fold(word);
  const exact = candidates.find((c) => fold(c) === folded);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(folded, fold(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(folded.length / 3)) ? best : undefined;
}

/** `' (did you mean "x"?)'` or `''`. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}
