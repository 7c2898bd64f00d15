import { parseSpec, SpecError, safeParseSpec } from '@fstool/spec';

/** The property: a valid ImageSpec or a non-empty list of issues; parseSpec throws only SpecError. */
export function checkSpec(text: string): string | undefined {
  try {
    const r = safeParseSpec(text);
    if (r.ok ? typeof r.spec !== 'object' || r.spec === null : !Array.isArray(r.issues) || r.issues.length === 0) {
      return 'safeParseSpec returned neither a spec nor issues';
    }
    for (const issue of r.ok ? [] : r.issues) {
      if (typeof issue.message !== 'string' || typeof issue.path !== 'string')
        return `malformed issue ${JSON.stringify(issue)}`;
    }
  } catch (err) {
    return `safeParseSpec threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
  }
  try {
    parseSpec(text, 'fuzz.toml');
  } catch (err) {
    if (!(err instanceof SpecError))
      return `parseSpec threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
  }
  return undefined;
}
