/**
 * The build folder `modal deploy` reads: the rendered launcher next to a copy of the built runtime.
 *
 *   {buildDir}/modal_app.py
 *   {buildDir}/runtime/dist/...            this package's compiled dist/, as is
 *   {buildDir}/runtime/python/...          the Python side (authoring package, parse worker, task runner)
 *   {buildDir}/runtime/package.json        this package's manifest, and its package-lock.json (empty if not shipped)
 *   {buildDir}/runtime/python/...          the Python authoring package, when the package ships one
 *
 * Choice: copy dist/ and let the image install production dependencies (`npm ci --omit=dev`) rather than
 * bundle with esbuild. Native modules (better-sqlite3) must be built for the container's Linux and Node,
 * not copied from the deploying machine; and dist/ keeps the file layout that modules resolving paths
 * from `import.meta.url` (templates, UI assets) rely on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModalProviderError } from './errors.js';
import type { ModalAppOptions } from './template.js';
import { renderModalApp } from './template.js';

/** The installed package root (…/dist/providers/modal/build.js → …). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface BuildFolder {
  dir: string;
  appFile: string;
}

export function prepareBuildFolder(options: { buildDir: string; packageRoot?: string; app: ModalAppOptions }): BuildFolder {
  const packageRoot = options.packageRoot ?? PACKAGE_ROOT;
  const dist = path.join(packageRoot, 'dist');
  const tickEntry = path.join(dist, 'providers', 'modal', 'entrypoints', 'tick.js');
  if (!fs.existsSync(tickEntry)) {
    throw new ModalProviderError(`the runtime is not built (${tickEntry} is missing): run \`npm run build\` first`);
  }
  const runtime = path.join(options.buildDir, 'runtime');
  fs.rmSync(runtime, { recursive: true, force: true });
  fs.mkdirSync(runtime, { recursive: true });
  fs.cpSync(dist, path.join(runtime, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  // Beside dist/, where src/python-package.ts looks for it; its unit tests and bytecode stay behind.
  const python = path.join(packageRoot, 'python');
  if (!fs.existsSync(path.join(python, 'task_runner.py'))) {
    throw new ModalProviderError(`the Python side of the package is missing (${python}): reinstall airflow-serverless`);
  }
  fs.cpSync(python, path.join(runtime, 'python'), {
    recursive: true,
    filter: (src) => !/[\\/](__pycache__|tests)$/.test(src) && !src.endsWith('.pyc'),
  });

  // package.json as shipped (npm ci checks it against the lock); an empty lock when none ships (npm
  // publishes none), and the image then resolves versions from package.json (see the template).
  fs.copyFileSync(path.join(packageRoot, 'package.json'), path.join(runtime, 'package.json'));
  const lock = path.join(packageRoot, 'package-lock.json');
  fs.writeFileSync(path.join(runtime, 'package-lock.json'), fs.existsSync(lock) ? fs.readFileSync(lock) : '');

  const appFile = path.join(options.buildDir, 'modal_app.py');
  fs.writeFileSync(appFile, renderModalApp({ ...options.app, shipPython: true }));
  return { dir: options.buildDir, appFile };
}
