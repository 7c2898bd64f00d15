// @iarna/toml ships types for its main entry only; this subpath avoids the main entry's `stream` import.
declare module '@iarna/toml/parse-string.js' {
  const parse: (toml: string) => Record<string, unknown>;
  export default parse;
}
