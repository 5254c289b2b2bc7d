/**
 * The volume as the CLI sees it, over Modal's v2 volume file RPCs (the JS SDK has no file API). Reads
 * and writes move 8 MiB blocks over plain HTTP URLs that the RPCs hand out; the RPCs carry only metadata.
 *
 * Uploads from outside a container are applied directly (Modal's own CLI never commits them), so
 * `commit()` has nothing to do; containers see the change after their next `reload()`.
 *
 * The one module that knows the volume RPC shapes; an SDK upgrade that moves them touches only this file.
 */
import crypto from 'node:crypto';
import type { VolumeClient, VolumeEntry } from '../ports.js';
import type { ModalConnection } from './client.js';
import { isNotFound } from './client.js';
import { ModalCallError, ModalEnvironmentNotFoundError, UnsupportedVolumeVersionError } from './errors.js';

export const VOLUME_BLOCK_SIZE = 8 * 1024 * 1024;

const LOOKUP_ONLY = 0;
const CREATE_IF_MISSING = 1;
const FS_VERSION_V2 = 2;
const FILE_TYPE_FILE = 1;
const FILE_TYPE_DIRECTORY = 2;
/** Modal's own uploader needs two rounds (ask, upload the missing blocks, confirm); a third is slack. */
const MAX_PUT_ROUNDS = 3;
const HTTP_ATTEMPTS = 4;

export interface VolumeBlock {
  /** Offset in the file. */
  start: number;
  /** One past the last non-zero byte of the block: Modal stores blocks without their trailing zeros. */
  end: number;
  sha256: Uint8Array;
}

/** Splits a file into 8 MiB blocks, hashing each without its trailing zero bytes (Modal's block identity). */
export function splitIntoBlocks(data: Uint8Array): VolumeBlock[] {
  const blocks: VolumeBlock[] = [];
  for (let start = 0; start < data.length; start += VOLUME_BLOCK_SIZE) {
    let end = Math.min(start + VOLUME_BLOCK_SIZE, data.length);
    while (end > start && data[end - 1] === 0) end--;
    const sha256 = crypto.createHash('sha256').update(data.subarray(start, end)).digest();
    blocks.push({ start, end, sha256: new Uint8Array(sha256) });
  }
  return blocks;
}

/** A relative volume path, `/`-separated, without leading `./` or `/`; refuses `..` like the local volume. */
function normalisePath(relative: string): string {
  const parts = relative.replaceAll('\\', '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ModalCallError(`volume path escapes the volume: ${relative}`, undefined);
  if (relative.includes('\0')) throw new ModalCallError('volume path contains a NUL byte', undefined);
  return parts.join('/');
}

async function httpWithRetry(what: string, request: () => Promise<Response>): Promise<Uint8Array> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= HTTP_ATTEMPTS; attempt++) {
    try {
      const response = await request();
      const body = new Uint8Array(await response.arrayBuffer());
      if (response.ok) return body;
      lastError = new Error(`HTTP ${response.status}`);
      // A 4xx other than throttling will not get better by asking again.
      if (response.status < 500 && response.status !== 429) break;
    } catch (error) {
      lastError = error;
    }
    if (attempt < HTTP_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
  }
  throw new ModalCallError(`Modal volume ${what} failed: ${(lastError as Error).message}`, undefined, { cause: lastError });
}

export class ModalVolumeClient implements VolumeClient {
  private constructor(
    private readonly connection: ModalConnection,
    readonly volumeId: string,
    readonly name: string,
  ) {}

  /**
   * Looks the volume up by name (`create` makes a v2 volume when missing). A v1 volume is refused: its file
   * RPCs and commit model differ, and environments created by this tool are always v2.
   */
  static async open(connection: ModalConnection, name: string, options: { create: boolean }): Promise<ModalVolumeClient> {
    let response;
    try {
      response = await connection.call('VolumeGetOrCreate', (client) =>
        client.cpClient.volumeGetOrCreate({
          deploymentName: name,
          environmentName: connection.environment,
          objectCreationType: options.create ? CREATE_IF_MISSING : LOOKUP_ONLY,
          version: FS_VERSION_V2,
        }),
      );
    } catch (error) {
      if (isNotFound(error)) {
        throw new ModalEnvironmentNotFoundError(`environment not found: run create (Modal volume ${name} does not exist)`, {
          cause: error,
        });
      }
      throw error;
    }
    const version = response.metadata?.version || response.version;
    if (version !== FS_VERSION_V2) {
      throw new UnsupportedVolumeVersionError(
        `Modal volume ${name} is a v1 volume, which is unsupported: delete it or create a v2 volume (\`modal volume create --version=2 ${name}\`)`,
      );
    }
    return new ModalVolumeClient(connection, response.volumeId, name);
  }

  async put(relative: string, data: Uint8Array): Promise<void> {
    const path = normalisePath(relative);
    const blocks = splitIntoBlocks(data);
    const putResponses = new Map<number, Uint8Array>();
    for (let round = 1; round <= MAX_PUT_ROUNDS; round++) {
      const response = await this.connection.call('VolumePutFiles2', (client) =>
        client.cpClient.volumePutFiles2({
          volumeId: this.volumeId,
          disallowOverwriteExistingFiles: false,
          files: [
            {
              path,
              size: data.length,
              mode: 0o644,
              blocks: blocks.map((block, index) => {
                const putResponse = putResponses.get(index);
                return putResponse ? { contentsSha256: block.sha256, putResponse } : { contentsSha256: block.sha256 };
              }),
            },
          ],
        }),
      );
      if (response.missingBlocks.length === 0) return;
      // Blocks go up one at a time: at 8 MiB each, memory stays bounded and the volume's own rate limits are kind.
      for (const missing of response.missingBlocks) {
        const block = blocks[missing.blockIndex];
        if (!block) throw new ModalCallError(`Modal asked for block ${missing.blockIndex} of ${path}, which has ${blocks.length}`, undefined);
        // A copy typed over a plain ArrayBuffer, which is what fetch accepts as a body.
        const body = new Uint8Array(data.subarray(block.start, block.end));
        const answer = await httpWithRetry(`upload of ${path}`, () =>
          fetch(missing.putUrl, { method: 'PUT', body, headers: { 'Content-Type': 'application/octet-stream' } }),
        );
        putResponses.set(missing.blockIndex, answer);
      }
    }
    throw new ModalCallError(`Modal volume upload of ${path} did not complete after ${MAX_PUT_ROUNDS} rounds`, undefined);
  }

  async get(relative: string): Promise<Uint8Array | undefined> {
    const path = normalisePath(relative);
    let response;
    try {
      response = await this.connection.call('VolumeGetFile2', (client) =>
        client.cpClient.volumeGetFile2({ volumeId: this.volumeId, path, start: 0, len: 0, clientPadsBlocks: false }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const parts: Uint8Array[] = [];
    for (const url of response.getUrls) parts.push(await httpWithRetry(`download of ${path}`, () => fetch(url)));
    const joined = Buffer.concat(parts);
    if (joined.length !== response.size) {
      throw new ModalCallError(`Modal volume download of ${path} returned ${joined.length} bytes, expected ${response.size}`, undefined);
    }
    return new Uint8Array(joined.buffer, joined.byteOffset, joined.length);
  }

  /** Every file and folder under `prefix` (a folder, or one file), recursively, sorted by path; [] if absent. */
  async list(prefix: string): Promise<VolumeEntry[]> {
    const path = normalisePath(prefix);
    let entries: VolumeEntry[];
    try {
      entries = await this.connection.call('VolumeListFiles2', async (client) => {
        const collected: VolumeEntry[] = [];
        const stream = client.cpClient.volumeListFiles2({ volumeId: this.volumeId, path: path === '' ? '/' : path, recursive: true });
        for await (const batch of stream) {
          for (const entry of batch.entries) {
            if (entry.type !== FILE_TYPE_FILE && entry.type !== FILE_TYPE_DIRECTORY) continue;
            collected.push({
              path: normalisePath(entry.path),
              type: entry.type === FILE_TYPE_DIRECTORY ? 'directory' : 'file',
              size: entry.type === FILE_TYPE_DIRECTORY ? 0 : Number(entry.size),
              mtime: new Date(Number(entry.mtime) * 1000),
            });
          }
        }
        return collected;
      }, { stream: true });
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async remove(relative: string): Promise<boolean> {
    const path = normalisePath(relative);
    if (path === '') throw new ModalCallError('refusing to remove the volume root', undefined);
    try {
      await this.connection.call('VolumeRemoveFile2', (client) =>
        client.cpClient.volumeRemoveFile2({ volumeId: this.volumeId, path, recursive: true }),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Uploads from outside a container are visible without a commit (see the module comment). */
  async commit(): Promise<void> {}

  /** Deletes the whole volume (destroy --delete-data). */
  static async deleteByName(connection: ModalConnection, name: string): Promise<boolean> {
    try {
      await connection.call('VolumeDelete', (client) => client.volumes.delete(name, { environment: connection.environment }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}
