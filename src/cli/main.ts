/**
 * The CLI's entry, bundled with the commands and @oclif/core into dist/cli-bundle/ by
 * scripts/build-cli.mjs; bin/run.js calls it. `dir` lets oclif find package.json (and the generated
 * oclif.manifest.json) from wherever this file is built.
 */
import { execute } from '@oclif/core/execute';

export function main(): Promise<unknown> {
  return execute({ dir: import.meta.url });
}
