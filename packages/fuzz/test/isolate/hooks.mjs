// Module hooks that let a worker thread run the workspace's TypeScript sources directly, as
// vitest does: '@fstool/*' resolves through the '@fstool/source' export condition, '.js'
// specifiers fall back to the '.ts' file beside them, and TypeScript is transpiled on load.
import { readFile } from 'node:fs/promises';
import ts from 'typescript';

export async function resolve(specifier, context, next) {
  const conditions = [...(context.conditions ?? []), '@fstool/source'];
  try {
    return await next(specifier, { ...context, conditions });
  } catch (err) {
    if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/'))) {
      return next(`${specifier.slice(0, -3)}.ts`, { ...context, conditions });
    }
    throw err;
  }
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const source = await readFile(new URL(url), 'utf8');
  const out = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
    },
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
