/**
 * When a Python DAG file must be parsed again. Its own content hash is not enough: a DAG file importing
 * `helpers/util.py` changes when the helper does. So the stored hash (`dag_file.content_hash`) carries,
 * after the file's own hash, the hashes of the local modules the last good parse imported:
 *   `<file hash>`                                  no local module
 *   `<file hash> modules [["helpers/util.py","<hash>"],...]`
 * A failed parse reported no modules (the import stopped half way), so it carries instead a fingerprint of
 * every `.py` file in the folder: any change to any of them (a missing helper added, a broken one fixed)
 * retries the file.
 *   `<file hash> failed <fingerprint>`
 * Module hashes are computed once per tick, however many DAG files share a helper, so an idle tick over a
 * thousand files reads each helper once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { contentHash } from './file-scan.js';

const MODULES = ' modules ';
const FAILED = ' failed ';

export class PythonFolderState {
  private readonly moduleHashes = new Map<string, string>();
  /** Content hash of every `.py` file of this pass, by fileloc. */
  private readonly pythonFiles = new Map<string, string>();
  private fingerprintValue: string | null = null;

  constructor(private readonly dagsDir: string) {}

  /** Every `.py` file of this pass, DAG file or not, with its content hash (`contentHash`, file-scan.ts). */
  record(fileloc: string, hash: string): void {
    this.pythonFiles.set(fileloc, hash);
  }

  upToDate(stored: string | undefined, fileHash: string): boolean {
    if (stored === undefined || !stored.startsWith(fileHash)) return false;
    const rest = stored.slice(fileHash.length);
    if (rest === '') return true;
    if (rest.startsWith(FAILED)) return rest.slice(FAILED.length) === this.fingerprint();
    if (!rest.startsWith(MODULES)) return false;
    let modules: Array<[string, string]>;
    try {
      modules = JSON.parse(rest.slice(MODULES.length)) as Array<[string, string]>;
    } catch {
      return false;
    }
    return modules.every(([module, hash]) => this.moduleHash(module) === hash);
  }

  hashWithModules(fileHash: string, modules: readonly string[]): string {
    if (modules.length === 0) return fileHash;
    const entries = [...new Set(modules)].sort().map((module) => [module, this.moduleHash(module)]);
    return `${fileHash}${MODULES}${JSON.stringify(entries)}`;
  }

  hashAfterFailure(fileHash: string): string {
    return `${fileHash}${FAILED}${this.fingerprint()}`;
  }

  private moduleHash(module: string): string {
    let hash = this.moduleHashes.get(module);
    if (hash === undefined) {
      const seen = this.pythonFiles.get(module);
      if (seen !== undefined) hash = seen.slice(0, 16);
      else {
        try {
          hash = contentHash(readFileSync(path.join(this.dagsDir, module), 'utf8')).slice(0, 16);
        } catch {
          hash = 'missing';
        }
      }
      this.moduleHashes.set(module, hash);
    }
    return hash;
  }

  private fingerprint(): string {
    if (this.fingerprintValue === null) {
      const hash = createHash('sha256');
      for (const fileloc of [...this.pythonFiles.keys()].sort()) hash.update(fileloc).update('\0').update(this.pythonFiles.get(fileloc)!).update('\0');
      this.fingerprintValue = hash.digest('hex').slice(0, 16);
    }
    return this.fingerprintValue;
  }
}
