// Bundle the BPMN editor and viewer into app/static/vendor/modeler/ (run by `make`, no CDN):
//   modeler.js + modeler.css  the editor (bpmn-js Modeler, properties panel, bpmnlint)
//   viewer.js + viewer.css    the read-only diagram (bpmn-js NavigatedViewer)
//   bpmn-*.woff2/woff         the bpmn-font icons the editor's palette and context pad use
// The bpmnlint configuration (frontend/.bpmnlintrc, the one CI lints bpmn/*.bpmn with) is compiled
// into the editor by bpmnlint's own compile-config, so browser and CI apply the same rules.
//
//   node frontend/build.mjs [--outdir DIR]

import { readFile, rm, stat, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const FRONTEND = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(FRONTEND, '..');
const argOut = process.argv.indexOf('--outdir');
const OUTDIR = argOut > 0 ? resolve(process.argv[argOut + 1]) : join(ROOT, 'app/static/vendor/modeler');

/** `import config from 'consilium:bpmnlint-config'`: .bpmnlintrc compiled to a module of rules. */
const bpmnlintConfig = {
  name: 'bpmnlint-config',
  setup(build) {
    build.onResolve({ filter: /^consilium:bpmnlint-config$/ }, () => ({
      path: join(FRONTEND, '.bpmnlintrc'),
      namespace: 'bpmnlint-config',
    }));
    build.onLoad({ filter: /.*/, namespace: 'bpmnlint-config' }, async (args) => {
      const compileConfig = require('bpmnlint/lib/support/compile-config');
      const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
      const { createScopedRequire } = require('bpmnlint/lib/resolver/helper');
      const config = JSON.parse(await readFile(args.path, 'utf8'));
      const contents = await compileConfig(config, new NodeResolver({ require: createScopedRequire(FRONTEND) }));
      return { contents, loader: 'js', resolveDir: FRONTEND, watchFiles: [args.path] };
    });
  },
};

/**
 * The app's CSP has no 'unsafe-inline' (nor 'unsafe-hashes') for styles, so style="..." in markup
 * that a library inserts with innerHTML is refused. Two places in the bundle have it; rewrite them:
 * the align/distribute menu icons get SVG presentation attributes instead (same look), and the
 * properties panel container's style="height: 100%" comes from modeler.css instead.
 */
const cspSafeMarkup = {
  name: 'csp-safe-markup',
  setup(build) {
    build.onLoad({ filter: /[\\/]bpmn-js[\\/]lib[\\/]features[\\/](align|distribute)-elements[\\/]\w+Icons\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace(/ style="([^"]*)"/g, (match, declarations) => declarations
        .split(';').map((declaration) => declaration.trim()).filter(Boolean)
        .map((declaration) => {
          const [ property, value ] = declaration.split(':').map((part) => part.trim());
          return ` ${property}="${value}"`;
        }).join(''));
      return { contents, loader: 'js' };
    });
    build.onLoad({ filter: /[\\/]bpmn-js-properties-panel[\\/]dist[\\/]index\.esm\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace('<div style="height: 100%" tabindex="-1"', '<div tabindex="-1"');
      return { contents, loader: 'js' };
    });
  },
};

/** Refuse a bundle that would need 'unsafe-eval' or inline style attributes under the app's CSP. */
async function checkCsp(dir) {
  const problems = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.js'))) {
    const code = await readFile(join(dir, name), 'utf8');
    for (const [ pattern, what ] of [
      [ /\beval\(/, 'eval(' ],
      [ /new Function\b|[^\w.$]Function\(/, 'new Function' ],
      [ /style=\\?["'][^"']/, 'a style="..." attribute in markup' ],
      [ /<style[\s>]/, 'a <style> element in markup' ],
    ]) {
      const match = code.match(pattern);
      if (match) {
        problems.push(`${name}: ${what} near ${JSON.stringify(code.slice(Math.max(0, match.index - 60), match.index + 60))}`);
      }
    }
  }
  return problems;
}

async function sizes(dir) {
  const rows = [];
  for (const name of (await readdir(dir)).sort()) {
    rows.push([name, (await stat(join(dir, name))).size]);
  }
  return rows;
}

const started = performance.now();
await rm(OUTDIR, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: {
    modeler: join(FRONTEND, 'modeler/index.js'),
    viewer: join(FRONTEND, 'modeler/viewer.js'),
  },
  outdir: OUTDIR,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  define: { 'process.env.NODE_ENV': '"production"' },
  loader: { '.woff2': 'file', '.woff': 'file', '.ttf': 'empty', '.eot': 'empty', '.svg': 'empty' },
  assetNames: '[name]-[hash]', // named after their content: the app lets browsers keep them (app/templating.py)
  jsx: 'automatic',
  jsxImportSource: '@bpmn-io/properties-panel/preact',
  legalComments: 'eof',
  logLevel: 'warning',
  plugins: [bpmnlintConfig, cspSafeMarkup],
});
const elapsed = performance.now() - started;

const cspProblems = await checkCsp(OUTDIR);
if (cspProblems.length) {
  console.error(`The bundle is not safe under the app's Content-Security-Policy:\n  ${cspProblems.join('\n  ')}`);
  process.exit(1);
}

for (const [name, size] of await sizes(OUTDIR)) {
  console.log(`  ${relative(ROOT, join(OUTDIR, name)).padEnd(48)} ${(size / 1024).toFixed(1).padStart(8)} KiB`);
}
console.log(`modeler bundle built in ${(elapsed / 1000).toFixed(2)} s`);
