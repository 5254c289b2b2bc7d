/**
 * Browser tests drive Debian's Chromium through playwright-core (no downloaded browsers). The page's
 * bundle is built with esbuild into a temp folder, so the tests do not depend on a prior `npm run build`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loginUrl, startUiServer, type UiServer } from '../../src/ui/server/start.js';
import { folderVolumeReader } from '../../src/ui/server/volume-reader.js';
import type { UiFixture } from './ui-fixtures.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: the browser tests need it. Install it with ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run does this in CI), or set CHROMIUM_PATH.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Bundles src/ui/web/main.ts (and its CSS) like scripts/build-assets.mjs, into a fresh temp folder. */
export async function buildUiAssets(): Promise<{ dir: string; dispose(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-ui-assets-'));
  await esbuild.build({
    entryPoints: [path.join(repoRoot, 'src/ui/web/main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    outfile: path.join(dir, 'app.js'),
    logLevel: 'warning',
  });
  return { dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Page errors and console errors (a CSP violation is one), so a test can insist there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

export const ARTIFACTS_DIR = path.join(repoRoot, 'test-artifacts');

export interface OpenedUi {
  server: UiServer;
  context: BrowserContext;
  page: Page;
  /** Filled as the page runs; a test's afterEach insists it stays empty. */
  pageErrors: string[];
}

/**
 * The real UI server over a fixture's database, state dict and volume, and a fresh browser context
 * logged in through the tokenised link, as a user opening `ui`'s link would be.
 */
export async function openUiPage(
  browser: Browser,
  f: UiFixture,
  assetsDir: string,
  options: { viewport: { width: number; height: number }; requestTick?: () => Promise<void> },
): Promise<OpenedUi> {
  const server = await startUiServer({
    db: f.db,
    dict: f.dict,
    files: folderVolumeReader(f.volume),
    token: f.token,
    clock: f.clock,
    version: '0.1.0',
    assetsDir,
    ...(options.requestTick ? { requestTick: options.requestTick } : {}),
  });
  const context = await browser.newContext({ viewport: options.viewport });
  const page = await context.newPage();
  const pageErrors = collectPageErrors(page);
  await page.goto(loginUrl(server, f.token));
  return { server, context, page, pageErrors };
}
