// Builds what tsc does not: the UI's browser bundle (when present) and the copied assets.
import fs from 'node:fs';

// The page's HTML shell is served by src/ui/server/page.ts; main.ts imports style.css, which esbuild
// emits beside the bundle as dist/ui/assets/app.css. Nothing is fetched from a CDN: the page works offline.
if (fs.existsSync('src/ui/web/main.ts')) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: ['src/ui/web/main.ts'],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    outfile: 'dist/ui/assets/app.js',
    logLevel: 'warning',
  });
}
