#!/usr/bin/env node
// The CLI is built into dist/cli-bundle/ by `npm run build` (scripts/build-cli.mjs says why it is bundled).
let cli;
try {
  cli = await import('../dist/cli-bundle/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('cli-bundle')) {
    console.error('Error: airflow-serverless is not built: run `npm run build` first');
    process.exit(1);
  }
  throw error;
}
await cli.main();
