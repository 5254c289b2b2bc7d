/**
 * Builds what the CLI starts from (part of `npm run build`, after tsc; the tests' global setup runs it too):
 *
 * 1. dist/cli-bundle/: the CLI (src/cli/main.ts, one entry per command and per oclif hook), everything of src/ it imports,
 *    and the pure-JavaScript packages on that path, bundled by esbuild into a few ESM files. Loading them
 *    module by module (oclif alone is ~150 CommonJS files, zod ~150 ESM files, yaml ~80) was most of the
 *    start-up time of every command. Code splitting gives each command only the chunks it reaches, and a
 *    dynamic `import()` stays lazy (its target becomes a chunk loaded when it runs).
 *    - A module that finds files next to itself (`import.meta.url`: task entries, UI assets, the Modal
 *      template) is bundled with `import.meta.url` replaced by its compiled file's URL in dist/, resolved at
 *      run time as `#dist/...` through package.json "imports", so it still finds them wherever the package
 *      is installed. Processes the CLI starts (task processes, warm workers) run dist/ as before.
 *    - Packages not in BUNDLED stay external: native ones (better-sqlite3), big ones only some commands
 *      reach (modal, pg), and any package added later until someone measures it and lists it here.
 * 2. oclif.manifest.json (package root, gitignored): every command's id, flags and description, so oclif
 *    neither scans the command folder nor imports each command to learn its flags at every start. It is
 *    generated from the bundle, so a command added under src/cli/commands/ is in it after the next build.
 *
 * Source layout is unchanged: commands stay one file each under src/cli/commands/. The esbuild metafile
 * goes to dist/cli-bundle/meta.json; test/cli-startup.test.ts reads it to keep each command's load small.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcRoot = path.join(root, 'src');
const cliSource = path.join(srcRoot, 'cli');
const outdir = path.join(root, 'dist', 'cli-bundle');

/** Pure-JavaScript packages the CLI loads on its common paths: bundled (and tree-shaken). */
const BUNDLED = new Set(['@oclif/core', 'yaml', 'zod', 'luxon', 'cron-parser', 'cronstrue', 'cli-table3', 'nunjucks', 'hono', '@hono/node-server']);

function commandFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return commandFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const placement = {
  name: 'cli-placement',
  setup(build) {
    // Our own code from src/ imports packages: bundle the listed ones, keep the rest external. Imports made
    // inside a bundled package (its own dependencies) are bundled with it.
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (!args.importer.startsWith(srcRoot + path.sep)) return undefined;
      if (args.path.startsWith('node:') || BUNDLED.has(packageName(args.path))) return undefined;
      return { path: args.path, external: true };
    });
    // import.meta.url of a bundled module: the URL its tsc build has in dist/.
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(srcRoot + path.sep)) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes('import.meta')) return { contents: text, loader: 'ts' };
      const compiled = path.relative(srcRoot, args.path).split(path.sep).join('/').replace(/\.ts$/, '.js');
      const rewritten = text.replaceAll('import.meta.url', `import.meta.resolve('#dist/${compiled}')`);
      if (rewritten.includes('import.meta') && /import\.meta\.(?!resolve\('#dist\/)/.test(rewritten)) {
        throw new Error(`${args.path}: only import.meta.url is supported in code the CLI bundles (see scripts/build-cli.mjs)`);
      }
      return { contents: rewritten, loader: 'ts' };
    });
  },
};

fs.rmSync(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: [path.join(cliSource, 'main.ts'), ...commandFiles(path.join(cliSource, 'commands')), ...commandFiles(path.join(cliSource, 'hooks'))],
  metafile: true,
  outbase: cliSource,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // oclif is CommonJS and calls require(); give the ESM bundle one, resolving from this folder.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // oclif only reaches for these when it runs TypeScript sources in development; never here.
  external: ['typescript', 'ts-node'],
  plugins: [placement],
  minify: false,
  logLevel: 'warning',
});

fs.writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));

// The manifest, read from the bundle exactly as oclif will load it. Imported only now: @oclif/core is
// a dependency of this script's work, not of the bundle step above.
const { Plugin } = await import('@oclif/core');
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true });
await plugin.load();
fs.writeFileSync(path.join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest, null, 2)}\n`);
