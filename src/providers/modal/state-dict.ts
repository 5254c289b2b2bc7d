/**
 * The state dict on a Modal Dict, over the raw Dict RPCs (the JS SDK has no Dict API). Only our code reads
 * this Dict, so keys and values are plain UTF-8 JSON bytes, not Python pickles: a Python `modal.Dict`
 * handle on the same object would not understand them, and does not need to.
 *
 * The one module that knows the Dict RPC shapes; an SDK upgrade that moves them touches only this file.
 */
import type { Logger } from '../../logger.js';
import { stderrLogger } from '../../logger.js';
import type { StateDict } from '../ports.js';
import type { ModalConnection } from './client.js';
import { isNotFound } from './client.js';
import { ModalEnvironmentNotFoundError } from './errors.js';
import { isWakeKey } from './wake.js';

const CREATE_IF_MISSING = 1;
const LOOKUP_ONLY = 0;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const encodeKey = (key: string): Uint8Array => encoder.encode(key);
const encodeValue = (value: unknown): Uint8Array => {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('state dict values must be JSON-serialisable');
  return encoder.encode(json);
};
const decodeValue = <T>(bytes: Uint8Array): T => JSON.parse(decoder.decode(bytes)) as T;

/** How many single-key reads `getMany` keeps in flight. */
const GET_MANY_CONCURRENCY = 16;

export class ModalStateDict implements StateDict {
  private readonly warnedForeign = new Set<string>();

  private constructor(
    private readonly connection: ModalConnection,
    readonly dictId: string,
    readonly name: string,
    private readonly logger: Logger,
  ) {}

  /** Looks the Dict up by name; `create` makes it when missing (only `create` of the environment does). */
  static async open(connection: ModalConnection, name: string, options: { create: boolean; logger?: Logger }): Promise<ModalStateDict> {
    try {
      const response = await connection.call('DictGetOrCreate', (client) =>
        client.cpClient.dictGetOrCreate({
          deploymentName: name,
          environmentName: connection.environment,
          objectCreationType: options.create ? CREATE_IF_MISSING : LOOKUP_ONLY,
        }),
      );
      return new ModalStateDict(connection, response.dictId, name, options.logger ?? stderrLogger());
    } catch (error) {
      if (isNotFound(error)) {
        throw new ModalEnvironmentNotFoundError(`environment not found: run create (Modal Dict ${name} does not exist)`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const response = await this.connection.call('DictGet', (client) =>
      client.cpClient.dictGet({ dictId: this.dictId, key: encodeKey(key) }),
    );
    return response.found && response.value ? decodeValue<T>(response.value) : undefined;
  }

  async getMany<T = unknown>(keys: readonly string[]): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += GET_MANY_CONCURRENCY) {
      const batch = unique.slice(i, i + GET_MANY_CONCURRENCY);
      const values = await Promise.all(batch.map((key) => this.get<T>(key)));
      batch.forEach((key, index) => {
        const value = values[index];
        if (value !== undefined) out.set(key, value);
      });
    }
    return out;
  }

  async put(key: string, value: unknown): Promise<void> {
    const entry = { key: encodeKey(key), value: encodeValue(value) };
    await this.connection.call('DictUpdate', (client) =>
      client.cpClient.dictUpdate({ dictId: this.dictId, updates: [entry], ifNotExists: false }),
    );
  }

  /**
   * Atomic on Modal's side (`DictUpdate{ifNotExists}` answers `created`). But the SDK's retry middleware
   * repeats a call whose reply was lost, inside this one `dictUpdate` (we cannot see it): the first
   * attempt may have written the key and the repeat then says "not created". So every `created: false`
   * is read back, and counts as ours when the key holds exactly our bytes. Values we write carry a random
   * token or a timestamp (dispatch records, claims, leases), so equal bytes mean our write.
   */
  async putIfAbsent(key: string, value: unknown): Promise<boolean> {
    const entry = { key: encodeKey(key), value: encodeValue(value) };
    const response = await this.connection.call('DictUpdate', (client) =>
      client.cpClient.dictUpdate({ dictId: this.dictId, updates: [entry], ifNotExists: true }),
    );
    if (response.created) return true;
    const current = await this.connection.call('DictGet', (client) =>
      client.cpClient.dictGet({ dictId: this.dictId, key: entry.key }),
    );
    return current.found === true && current.value !== undefined && Buffer.from(current.value).equals(entry.value);
  }

  /** Raw bytes under raw key bytes: only for the pickled wake entry (wake.ts). */
  async putRaw(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.connection.call('DictUpdate', (client) =>
      client.cpClient.dictUpdate({ dictId: this.dictId, updates: [{ key, value }], ifNotExists: false }),
    );
  }

  async getRaw(key: Uint8Array): Promise<Uint8Array | undefined> {
    const response = await this.connection.call('DictGet', (client) => client.cpClient.dictGet({ dictId: this.dictId, key }));
    return response.found && response.value ? response.value : undefined;
  }

  async delete(key: string): Promise<boolean> {
    return (await this.pop(key)) !== undefined;
  }

  /** Removes the key and returns the value it held (DictPop), so a caller can tell what it deleted. */
  async pop<T = unknown>(key: string): Promise<T | undefined> {
    const response = await this.connection.call('DictPop', (client) =>
      client.cpClient.dictPop({ dictId: this.dictId, key: encodeKey(key) }),
    );
    return response.found && response.value ? decodeValue<T>(response.value) : undefined;
  }

  /** DictContents streams the whole Dict; the prefix filter runs here (the server has none). */
  async entries<T = unknown>(prefix: string): Promise<Array<[string, T]>> {
    const out = await this.connection.call(
      'DictContents',
      async (client) => {
        const collected: Array<[string, T]> = [];
        for await (const entry of client.cpClient.dictContents({ dictId: this.dictId, keys: true, values: true })) {
          const decoded = this.decodeEntry<T>(entry.key, entry.value);
          if (decoded && decoded[0].startsWith(prefix)) collected.push(decoded);
        }
        return collected;
      },
      { stream: true },
    );
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * One streamed entry as [key, value], or undefined for an entry we did not write: a pickled key or value
   * from Python's `modal.Dict` or `modal dict put` (our own wake key among them, see wake.ts). One such
   * entry must not break every tick, so it is skipped, with one warning per key per process.
   */
  private decodeEntry<T>(keyBytes: Uint8Array, valueBytes: Uint8Array): [string, T] | undefined {
    if (isWakeKey(keyBytes)) return undefined;
    let key: string | undefined;
    try {
      key = decoder.decode(keyBytes);
      return [key, decodeValue<T>(valueBytes)];
    } catch {
      const label = key ?? `0x${Buffer.from(keyBytes.subarray(0, 32)).toString('hex')}`;
      if (!this.warnedForeign.has(label)) {
        this.warnedForeign.add(label);
        this.logger.warn('state dict: skipping an entry that is not UTF-8 JSON (written by Python or `modal dict put`?)', { key: label });
      }
      return undefined;
    }
  }

  /** Deletes the whole Dict (destroy --delete-data). */
  static async deleteByName(connection: ModalConnection, name: string): Promise<boolean> {
    let dict: ModalStateDict;
    try {
      dict = await ModalStateDict.open(connection, name, { create: false });
    } catch (error) {
      if (error instanceof ModalEnvironmentNotFoundError) return false;
      throw error;
    }
    await connection.call('DictDelete', (client) => client.cpClient.dictDelete({ dictId: dict.dictId }));
    return true;
  }
}
