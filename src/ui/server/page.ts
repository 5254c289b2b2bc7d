/**
 * The web page: a static HTML shell plus the esbuild bundle (dist/ui/assets/app.js and app.css), served
 * by this server so the page works offline (no CDN). The shell carries no data; the bundle fetches it.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { UiEnv } from './auth.js';

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Airflow Serverless</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<div id="app"><p class="loading">Loading…</p></div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`;

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/**
 * Built: this module is dist/ui/server/page.js and the bundle sits in dist/ui/assets. Run from source
 * (tests, tsx), fall back to the repository's dist/ui/assets.
 */
export function defaultAssetsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../assets'), path.resolve(here, '../../../dist/ui/assets')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'app.js'))) ?? candidates[0]!;
}

export function registerPageRoutes(app: Hono<UiEnv>, assetsDir: string): void {
  app.get('/', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.html(SHELL);
  });

  app.get('/assets/:file{[A-Za-z0-9_-]+\\.(js|css|map|svg)}', async (c) => {
    const name = c.req.param('file');
    const type = CONTENT_TYPES[path.extname(name)];
    try {
      const body = await fsp.readFile(path.join(assetsDir, name));
      return c.body(body, 200, { 'Content-Type': type ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
    } catch {
      return c.json({ detail: `UI asset ${name} is missing: run \`npm run build\`` }, 404);
    }
  });
}
