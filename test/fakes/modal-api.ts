/**
 * An in-memory Modal, plugged into the JS SDK through `ModalClientParams.grpcMiddleware`. The SDK runs
 * custom middleware outside its own, so the fake re-runs the SDK's genuine retry and auth middleware
 * (taken from the client it is bound to, see `bindClient`) in front of its in-memory transport: retries
 * with one idempotency key, the `AuthTokenGet` exchange and the token metadata all happen as against
 * Modal. No network, protos or credentials are used. Responses are plain objects shaped like the SDK's
 * message interfaces. Volume blocks and function-input blobs move over a real HTTP server on 127.0.0.1,
 * as they do against Modal (signed URLs).
 *
 * Semantics modelled on what modal-sdk.md and Modal's docs describe: Dict `ifNotExists` is atomic, volumes
 * are v1 unless v2 is asked for, v2 uploads are content-addressed 8 MiB blocks hashed without trailing
 * zeros, a missing file or object is NOT_FOUND, a stopped app is gone for lookups. Injectable realities:
 * transient failures (`failNext`), writes whose reply is lost after they landed (`loseReplyNext`: the
 * SDK then retries the same write), rejected tokens (`rejectToken`), foreign (pickled) Dict entries
 * (`putForeign`), and inputs preempted and re-delivered with the same call id (`preemptNext`).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Encoder, decode as cborDecode } from 'cbor-x';
import { ClientError, Status } from 'nice-grpc';
import type { ModalClient } from 'modal';
import type { BindableGrpcMiddleware, GrpcMiddleware } from '../../src/providers/modal/client.js';

const BLOCK_SIZE = 8 * 1024 * 1024;
const cbor = new Encoder({ mapsAsObjects: true, useRecords: false, tagUint8Array: false });

export interface FakeCallContext {
  callId: string;
  appName: string;
  functionName: string;
  signal: AbortSignal;
  /** 1, or 2 when Modal re-delivers the input after preempting the first container (same call id). */
  attempt: number;
  /** True for a delivery whose container Modal preempts: the handler plays a container that dies mid-way. */
  preempted: boolean;
}
export type FakeFunctionHandler = (args: unknown[], kwargs: Record<string, unknown>, ctx: FakeCallContext) => unknown;

interface FakeApp {
  appId: string;
  name: string;
  env: string;
  state: 'deployed' | 'stopped';
  functions: Map<string, string>;
  deployments: number;
  /** Input formats the deployed functions accept: [1] (pickle only) is what a modal CLI older than 1.2 deploys. */
  inputFormats: number[];
}
interface FakeFunction {
  functionId: string;
  appId: string;
  name: string;
}
export interface FakeFunctionCall {
  callId: string;
  functionId: string;
  functionName: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  status: 'running' | 'success' | 'failure' | 'cancelled';
  result?: unknown;
  error?: string;
  done: Promise<void>;
  abort: AbortController;
  cancelTerminatedContainers?: boolean;
}
interface FakeFile {
  blocks: string[];
  size: number;
  mtime: number;
}
export interface FakeVolume {
  volumeId: string;
  name: string;
  env: string;
  version: number;
  files: Map<string, FakeFile>;
}
export interface FakeDict {
  dictId: string;
  name: string;
  env: string;
  data: Map<string, { key: Uint8Array; value: Uint8Array }>;
}
export interface FakeSecret {
  secretId: string;
  name: string;
  env: string;
  values: Record<string, string>;
}

/**
 * A request as the SDK passes it to middleware: a DeepPartial of one of ~20 message types. The fake reads
 * fields loosely, as the server would decode absent fields as defaults.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Req = Record<string, any>;

interface Call {
  method: { path: string };
  request: unknown;
  responseStream: boolean;
  next?: unknown;
}
interface CallOptions {
  metadata?: { get(key: string): unknown };
  [key: string]: unknown;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const notFound = (method: string, what: string): ClientError => new ClientError(`/modal.client.ModalClient/${method}`, Status.NOT_FOUND, what);

function stripTrailingZeros(data: Uint8Array): Uint8Array {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return data.subarray(0, end);
}

export class FakeModal {
  /** Every RPC method name, in call order. */
  readonly rpcLog: string[] = [];
  /** Every RPC with its request, in call order. */
  readonly requests: Array<{ method: string; request: Record<string, unknown> }> = [];
  readonly apps = new Map<string, FakeApp>();
  readonly functions = new Map<string, FakeFunction>();
  readonly functionCalls = new Map<string, FakeFunctionCall>();
  readonly dicts = new Map<string, FakeDict>();
  readonly volumes = new Map<string, FakeVolume>();
  readonly secrets = new Map<string, FakeSecret>();
  readonly blocks = new Map<string, Uint8Array>();
  readonly blobs = new Map<string, Uint8Array>();
  /** How many HTTP block uploads the server accepted. */
  blockUploads = 0;
  private readonly handlers = new Map<string, FakeFunctionHandler>();
  private readonly failures: Array<{ method: string; code: Status; remaining: number }> = [];
  private readonly lostReplies: Array<{ method: string; remaining: number }> = [];
  private readonly rejectedTokens = new Set<string>();
  private readonly preemptions = new Map<string, number>();
  /** How many auth tokens the SDK fetched (AuthTokenGet, kept out of rpcLog so RPC order stays readable). */
  authTokenGets = 0;
  private nextId = 1;
  private server: http.Server | null = null;
  private baseUrl = '';

  private id(prefix: string): string {
    return `${prefix}-fake${this.nextId++}`;
  }
  private static key(env: string | undefined, name: string): string {
    return `${env ?? ''}/${name}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.serveHttp(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const call of this.functionCalls.values()) call.abort.abort();
    await Promise.allSettled([...this.functionCalls.values()].map((c) => c.done));
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** The next `times` calls of `method` fail with `code` (before touching any state). */
  failNext(method: string, code: Status, times = 1): void {
    this.failures.push({ method, code, remaining: times });
  }

  /**
   * The next `times` calls of `method` take effect, then their reply is lost (UNAVAILABLE): the SDK's
   * retry middleware repeats the call with the same idempotency key, which the server does not dedupe.
   */
  loseReplyNext(method: string, times = 1): void {
    this.lostReplies.push({ method, remaining: times });
  }

  /** Calls presenting this token id are UNAUTHENTICATED (a revoked or mistyped token). */
  rejectToken(tokenId: string): void {
    this.rejectedTokens.add(tokenId);
  }

  /** The next call of `functionName` is preempted once: delivered, abandoned mid-way, and re-delivered. */
  preemptNext(functionName: string): void {
    this.preemptions.set(functionName, (this.preemptions.get(functionName) ?? 0) + 1);
  }

  /** A raw entry as Python's `modal.Dict` or `modal dict put` writes it (pickled key and value bytes). */
  putForeign(dict: FakeDict, key: Uint8Array, value: Uint8Array): void {
    dict.data.set(hex(key), { key: new Uint8Array(key), value: new Uint8Array(value) });
  }

  /** What `modal deploy` would leave behind: a deployed app with these functions. Redeploying keeps ids. */
  deployApp(name: string, functionNames: readonly string[], env = '', options: { inputFormats?: number[] } = {}): FakeApp {
    const key = FakeModal.key(env, name);
    let app = this.apps.get(key);
    if (!app || app.state === 'stopped') {
      app = { appId: this.id('ap'), name, env, state: 'deployed', functions: new Map(), deployments: 0, inputFormats: [4] };
      this.apps.set(key, app);
    }
    app.inputFormats = options.inputFormats ?? [1, 4];
    app.deployments++;
    for (const fn of functionNames) {
      if (app.functions.has(fn)) continue;
      const functionId = this.id('fu');
      app.functions.set(fn, functionId);
      this.functions.set(functionId, { functionId, appId: app.appId, name: fn });
    }
    return app;
  }

  /** What runs when a function of any app is called; unhandled functions succeed with null. */
  onFunction(name: string, handler: FakeFunctionHandler): void {
    this.handlers.set(name, handler);
  }

  createVolume(name: string, version: 1 | 2, env = ''): FakeVolume {
    const volume: FakeVolume = { volumeId: this.id('vo'), name, env, version, files: new Map() };
    this.volumes.set(FakeModal.key(env, name), volume);
    return volume;
  }

  dictByName(name: string, env = ''): FakeDict | undefined {
    return this.dicts.get(FakeModal.key(env, name));
  }
  volumeByName(name: string, env = ''): FakeVolume | undefined {
    return this.volumes.get(FakeModal.key(env, name));
  }
  secretByName(name: string, env = ''): FakeSecret | undefined {
    return this.secrets.get(FakeModal.key(env, name));
  }
  appByName(name: string, env = ''): FakeApp | undefined {
    return this.apps.get(FakeModal.key(env, name));
  }
  callsOf(functionName: string): FakeFunctionCall[] {
    return [...this.functionCalls.values()].filter((c) => c.functionName === functionName);
  }
  /** Reads a file as stored (blocks joined, zero-padded back to each block's length). */
  readFile(volume: FakeVolume, path: string): Uint8Array | undefined {
    const file = volume.files.get(path);
    if (!file) return undefined;
    const out = Buffer.alloc(file.size);
    file.blocks.forEach((sha, i) => {
      const stored = this.blocks.get(sha)!;
      out.set(stored, i * BLOCK_SIZE);
    });
    return out;
  }

  /**
   * A fresh middleware for one ModalConnection, which binds it to its client: calls then run through the
   * SDK's own retry and auth middleware before reaching the in-memory transport. Unbound (a bare
   * ModalClient), it answers directly.
   */
  get middleware(): GrpcMiddleware {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const fake = this;
    type Mw = (call: Call, options: CallOptions) => AsyncGenerator<unknown, unknown, undefined>;
    let chain: Mw | null = null;
    const transport: Mw = (call, options) => fake.transport(call, options);
    const middleware = async function* (call: Call, options: CallOptions) {
      return yield* (chain ?? transport)(call, options);
    } as unknown as BindableGrpcMiddleware;
    middleware.bindClient = (client: ModalClient) => {
      // Private in the SDK's typings; these are the exact functions the SDK puts in front of its channel.
      const sdk = client as unknown as { retryMiddleware(): Mw; authMiddleware(profile: unknown): Mw; profile: unknown };
      const retry = sdk.retryMiddleware();
      const auth = sdk.authMiddleware(sdk.profile);
      chain = (call, options) =>
        retry(
          {
            ...call,
            next: (request: unknown, o1: CallOptions) =>
              auth({ ...call, request, next: (r2: unknown, o2: CallOptions) => transport({ ...call, request: r2 }, o2) }, o1),
          },
          options,
        );
    };
    return middleware;
  }

  private async *transport(call: Call, options: CallOptions): AsyncGenerator<unknown, unknown, undefined> {
    const method = call.method.path.split('/').pop() ?? '';
    const request = (call.request ?? {}) as Record<string, unknown>;
    if (method === 'AuthTokenGet') {
      this.authTokenGets++;
      const payload = Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
      return { token: `eyJhbGciOiJub25lIn0.${payload}.sig` };
    }
    this.rpcLog.push(method);
    this.requests.push({ method, request });
    const tokenId = options.metadata?.get('x-modal-token-id');
    if (options.metadata && (tokenId === undefined || this.rejectedTokens.has(String(tokenId)))) {
      throw new ClientError(call.method.path, Status.UNAUTHENTICATED, 'Invalid token');
    }
    // Let concurrent callers interleave at RPC boundaries, as they would over a network.
    await new Promise((resolve) => setImmediate(resolve));
    const failure = this.failures.find((f) => f.method === method && f.remaining > 0);
    if (failure) {
      failure.remaining--;
      throw new ClientError(call.method.path, failure.code, `injected ${Status[failure.code]}`);
    }
    if (call.responseStream) {
      yield* this.stream(method, request);
      return undefined;
    }
    const response = await this.unary(method, request);
    const lost = this.lostReplies.find((f) => f.method === method && f.remaining > 0);
    if (lost) {
      lost.remaining--;
      throw new ClientError(call.method.path, Status.UNAVAILABLE, 'injected: reply lost after the write landed');
    }
    return response;
  }

  private async *stream(method: string, r: Req): AsyncGenerator<unknown> {
    switch (method) {
      case 'DictContents': {
        const dict = this.dictById(method, r.dictId);
        for (const entry of [...dict.data.values()]) {
          yield { key: r.keys ? entry.key : new Uint8Array(), value: r.values ? entry.value : new Uint8Array() };
        }
        return;
      }
      case 'VolumeListFiles2': {
        const volume = this.volumeById(method, r.volumeId);
        const entries = this.listVolume(volume, String(r.path ?? '/'), Boolean(r.recursive));
        if (entries === undefined) throw notFound(method, `No such file or directory: ${r.path}`);
        for (let i = 0; i < entries.length; i += 2) yield { entries: entries.slice(i, i + 2) };
        return;
      }
      default:
        throw new ClientError(`/modal.client.ModalClient/${method}`, Status.UNIMPLEMENTED, `fake Modal has no ${method}`);
    }
  }

  private async unary(method: string, r: Req): Promise<unknown> {
    switch (method) {
      // --- apps and functions ---
      case 'AppGetOrCreate': {
        const app = this.apps.get(FakeModal.key(r.environmentName, r.appName));
        if (!app || app.state === 'stopped') throw notFound(method, `App '${r.appName}' not found`);
        return { appId: app.appId, handleMetadata: undefined };
      }
      case 'AppStop': {
        const app = [...this.apps.values()].find((a) => a.appId === r.appId);
        if (!app) throw notFound(method, `App ${r.appId} not found`);
        app.state = 'stopped';
        for (const call of this.functionCalls.values()) {
          if (call.status === 'running' && app.functions.get(call.functionName) === call.functionId) this.cancelCall(call, true);
        }
        return {};
      }
      case 'FunctionGet': {
        const app = this.apps.get(FakeModal.key(r.environmentName, r.appName));
        const functionId = app?.state === 'deployed' ? app.functions.get(r.objectTag) : undefined;
        if (!functionId) throw notFound(method, `Function ${r.appName}/${r.objectTag} not found`);
        return { functionId, handleMetadata: { supportedInputFormats: app!.inputFormats, appId: app!.appId } };
      }
      case 'BlobCreate': {
        const blobId = this.id('bl');
        return { blobId, uploadUrl: `${this.baseUrl}/blob/${blobId}`, blobIds: [] };
      }
      case 'BlobGet':
        return { downloadUrl: `${this.baseUrl}/blob/${r.blobId}` };
      case 'FunctionMap':
        return this.startCall(r);
      case 'FunctionGetOutputs':
        return this.outputs(r);
      case 'FunctionCallFromId': {
        const call = this.functionCalls.get(r.functionCallId);
        if (!call) throw notFound(method, `Function call ${r.functionCallId} not found`);
        return { functionCallId: call.callId, numInputs: 1, metadata: { functionId: call.functionId, appId: '' } };
      }
      case 'FunctionCallCancel': {
        const call = this.functionCalls.get(r.functionCallId);
        if (!call) throw notFound(method, `Function call ${r.functionCallId} not found`);
        this.cancelCall(call, Boolean(r.terminateContainers));
        return {};
      }
      // --- dicts ---
      case 'DictGetOrCreate': {
        const key = FakeModal.key(r.environmentName, r.deploymentName);
        let dict = this.dicts.get(key);
        if (!dict) {
          if (r.objectCreationType !== 1) throw notFound(method, `Dict '${r.deploymentName}' not found`);
          dict = { dictId: this.id('di'), name: r.deploymentName, env: r.environmentName ?? '', data: new Map() };
          this.dicts.set(key, dict);
        }
        return { dictId: dict.dictId, metadata: { name: dict.name, creationInfo: undefined } };
      }
      case 'DictUpdate': {
        const dict = this.dictById(method, r.dictId);
        const updates = (r.updates ?? []) as Array<{ key: Uint8Array; value: Uint8Array }>;
        // Check and write in one synchronous block: atomic, like the server.
        if (r.ifNotExists && updates.some((u) => dict.data.has(hex(u.key)))) return { created: false };
        for (const u of updates) dict.data.set(hex(u.key), { key: new Uint8Array(u.key), value: new Uint8Array(u.value) });
        return { created: true };
      }
      case 'DictGet': {
        const entry = this.dictById(method, r.dictId).data.get(hex(r.key));
        return entry ? { found: true, value: entry.value } : { found: false };
      }
      case 'DictPop': {
        const dict = this.dictById(method, r.dictId);
        const entry = dict.data.get(hex(r.key));
        dict.data.delete(hex(r.key));
        return entry ? { found: true, value: entry.value } : { found: false };
      }
      case 'DictDelete': {
        const dict = this.dictById(method, r.dictId);
        this.dicts.delete(FakeModal.key(dict.env, dict.name));
        return {};
      }
      // --- volumes ---
      case 'VolumeGetOrCreate': {
        const key = FakeModal.key(r.environmentName, r.deploymentName);
        let volume = this.volumes.get(key);
        if (!volume) {
          if (r.objectCreationType !== 1) throw notFound(method, `Volume '${r.deploymentName}' not found`);
          volume = this.createVolume(r.deploymentName, r.version === 2 ? 2 : 1, r.environmentName ?? '');
        }
        return { volumeId: volume.volumeId, version: volume.version, metadata: { name: volume.name, version: volume.version } };
      }
      case 'VolumeDelete': {
        const volume = this.volumeById(method, r.volumeId);
        this.volumes.delete(FakeModal.key(volume.env, volume.name));
        return {};
      }
      case 'VolumeGetFile2': {
        const volume = this.volumeV2(method, r.volumeId);
        const file = volume.files.get(String(r.path).replace(/^\/+/, ''));
        if (!file) throw notFound(method, `No such file: ${r.path}`);
        const getUrls = file.blocks.map((sha, i) => {
          const length = Math.min(BLOCK_SIZE, file.size - i * BLOCK_SIZE);
          return `${this.baseUrl}/block/${sha}?length=${length}`;
        });
        return { getUrls, size: file.size, start: 0, len: file.size };
      }
      case 'VolumePutFiles2':
        return this.putFiles(method, r);
      case 'VolumeRemoveFile2': {
        const volume = this.volumeV2(method, r.volumeId);
        const path = String(r.path).replace(/^\/+|\/+$/g, '');
        const under = [...volume.files.keys()].filter((p) => p === path || p.startsWith(path + '/'));
        if (under.length === 0) throw notFound(method, `No such file or directory: ${r.path}`);
        if (!r.recursive && !(under.length === 1 && under[0] === path)) {
          throw new ClientError(`/modal.client.ModalClient/${method}`, Status.INVALID_ARGUMENT, 'is a directory');
        }
        for (const p of under) volume.files.delete(p);
        return {};
      }
      // --- secrets ---
      case 'SecretGetOrCreate': {
        const key = FakeModal.key(r.environmentName, r.deploymentName);
        let secret = this.secrets.get(key);
        const type = r.objectCreationType ?? 0;
        if (secret && type === 2) throw new ClientError(`/modal.client.ModalClient/${method}`, Status.ALREADY_EXISTS, 'exists');
        if (!secret) {
          if (type === 0) throw notFound(method, `Secret '${r.deploymentName}' not found`);
          secret = { secretId: this.id('st'), name: r.deploymentName, env: r.environmentName ?? '', values: {} };
          this.secrets.set(key, secret);
          secret.values = { ...(r.envDict ?? {}) };
        } else if (type === 3) {
          secret.values = { ...(r.envDict ?? {}) };
        }
        return { secretId: secret.secretId, metadata: { name: secret.name, keys: Object.keys(secret.values) } };
      }
      case 'SecretUpdate': {
        const secret = [...this.secrets.values()].find((s) => s.secretId === r.secretId);
        if (!secret) throw notFound(method, `Secret ${r.secretId} not found`);
        for (const u of (r.updates ?? []) as Array<{ key: string; value?: string }>) {
          if (u.value === undefined) delete secret.values[u.key];
          else secret.values[u.key] = u.value;
        }
        return {};
      }
      case 'SecretDelete': {
        const secret = [...this.secrets.values()].find((s) => s.secretId === r.secretId);
        if (!secret) throw notFound(method, `Secret ${r.secretId} not found`);
        this.secrets.delete(FakeModal.key(secret.env, secret.name));
        return {};
      }
      default:
        throw new ClientError(`/modal.client.ModalClient/${method}`, Status.UNIMPLEMENTED, `fake Modal has no ${method}`);
    }
  }

  private dictById(method: string, dictId: string): FakeDict {
    const dict = [...this.dicts.values()].find((d) => d.dictId === dictId);
    if (!dict) throw notFound(method, `Dict ${dictId} not found`);
    return dict;
  }
  private volumeById(method: string, volumeId: string): FakeVolume {
    const volume = [...this.volumes.values()].find((v) => v.volumeId === volumeId);
    if (!volume) throw notFound(method, `Volume ${volumeId} not found`);
    return volume;
  }
  private volumeV2(method: string, volumeId: string): FakeVolume {
    const volume = this.volumeById(method, volumeId);
    if (volume.version !== 2) throw new ClientError(`/modal.client.ModalClient/${method}`, Status.FAILED_PRECONDITION, 'v1 volume');
    return volume;
  }

  private listVolume(volume: FakeVolume, rawPath: string, recursive: boolean): unknown[] | undefined {
    const path = rawPath.replace(/^\/+|\/+$/g, '');
    const file = volume.files.get(path);
    const entry = (p: string, f?: FakeFile) => ({ path: p, type: f ? 1 : 2, mtime: f ? f.mtime : 0, size: f ? f.size : 0 });
    if (file) return [entry(path, file)];
    const prefix = path === '' ? '' : path + '/';
    const out = new Map<string, unknown>();
    for (const [p, f] of volume.files) {
      if (!p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length).split('/');
      const depth = recursive ? rest.length : 1;
      for (let i = 1; i <= depth; i++) {
        const sub = prefix + rest.slice(0, i).join('/');
        out.set(sub, i === rest.length ? entry(sub, f) : entry(sub));
      }
    }
    if (out.size === 0 && path !== '') return undefined;
    return [...out.values()];
  }

  private putFiles(method: string, r: Req): unknown {
    const volume = this.volumeV2(method, r.volumeId);
    const files = (r.files ?? []) as Array<{ path: string; size: number; blocks: Array<{ contentsSha256: Uint8Array; putResponse?: Uint8Array }> }>;
    const missingBlocks: Array<{ fileIndex: number; blockIndex: number; putUrl: string }> = [];
    files.forEach((file, fileIndex) => {
      if (file.blocks.length !== Math.ceil(file.size / BLOCK_SIZE)) {
        throw new ClientError(`/modal.client.ModalClient/${method}`, Status.INVALID_ARGUMENT, 'block count does not match size');
      }
      file.blocks.forEach((block, blockIndex) => {
        const sha = hex(block.contentsSha256);
        const receiptOk = block.putResponse !== undefined && Buffer.from(block.putResponse).toString() === `stored ${sha}`;
        if (!this.blocks.has(sha) || (block.putResponse !== undefined && !receiptOk)) {
          missingBlocks.push({ fileIndex, blockIndex, putUrl: `${this.baseUrl}/block/${sha}` });
        }
      });
    });
    if (missingBlocks.length > 0) return { missingBlocks };
    for (const file of files) {
      if (r.disallowOverwriteExistingFiles && volume.files.has(file.path)) {
        throw new ClientError(`/modal.client.ModalClient/${method}`, Status.ALREADY_EXISTS, file.path);
      }
      volume.files.set(file.path.replace(/^\/+/, ''), {
        blocks: file.blocks.map((b) => hex(b.contentsSha256)),
        size: file.size,
        mtime: Math.floor(Date.now() / 1000),
      });
    }
    return { missingBlocks: [] };
  }

  private startCall(r: Req): unknown {
    const fn = this.functions.get(r.functionId);
    if (!fn) throw notFound('FunctionMap', `Function ${r.functionId} not found`);
    const input = r.pipelinedInputs?.[0]?.input as { args?: Uint8Array; argsBlobId?: string } | undefined;
    const encoded = input?.args ?? (input?.argsBlobId ? this.blobs.get(input.argsBlobId) : undefined);
    if (!encoded) throw new ClientError('/modal.client.ModalClient/FunctionMap', Status.INVALID_ARGUMENT, 'no input');
    const [args, kwargs] = cborDecode(encoded) as [unknown[], Record<string, unknown>];
    const app = [...this.apps.values()].find((a) => a.appId === fn.appId)!;
    const callId = this.id('fc');
    const abort = new AbortController();
    const call: FakeFunctionCall = {
      callId,
      functionId: fn.functionId,
      functionName: fn.name,
      args,
      kwargs,
      status: 'running',
      abort,
      done: Promise.resolve(),
    };
    const handler = this.handlers.get(fn.name);
    const preempt = (this.preemptions.get(fn.name) ?? 0) > 0;
    if (preempt) this.preemptions.set(fn.name, this.preemptions.get(fn.name)! - 1);
    call.done = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      try {
        const context = { callId, appName: app.name, functionName: fn.name, signal: abort.signal };
        if (preempt && handler) {
          // The first container is preempted part-way; whatever it returns or throws is lost. Modal then
          // runs the same input again, with the same call id, in a new container.
          await Promise.resolve(handler(args, kwargs, { ...context, attempt: 1, preempted: true })).catch(() => undefined);
        }
        const attempt = preempt ? 2 : 1;
        const result = handler ? await handler(args, kwargs, { ...context, attempt, preempted: false }) : null;
        if (call.status === 'running') {
          call.status = 'success';
          call.result = result;
        }
      } catch (error) {
        if (call.status === 'running') {
          call.status = 'failure';
          call.error = (error as Error).message;
        }
      }
    })();
    this.functionCalls.set(callId, call);
    return {
      functionCallId: callId,
      functionCallJwt: `jwt-${callId}`,
      pipelinedInputs: [{ idx: 0, inputJwt: `input-${callId}` }],
      retryPolicy: undefined,
      syncClientRetriesEnabled: false,
      maxInputsOutstanding: 0,
    };
  }

  private cancelCall(call: FakeFunctionCall, terminateContainers: boolean): void {
    if (call.status !== 'running') return;
    call.status = 'cancelled';
    call.cancelTerminatedContainers = terminateContainers;
    call.abort.abort();
  }

  private async outputs(r: Req): Promise<unknown> {
    const call = this.functionCalls.get(r.functionCallId);
    if (!call) throw notFound('FunctionGetOutputs', `Function call ${r.functionCallId} not found`);
    const timeoutMs = Math.max(0, Number(r.timeout ?? 0) * 1000);
    if (call.status === 'running' && timeoutMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([call.done, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    switch (call.status) {
      case 'running':
        return { outputs: [] };
      case 'success':
        return { outputs: [{ result: { status: 1, data: cbor.encode(call.result) }, dataFormat: 4 }] };
      case 'failure':
        return { outputs: [{ result: { status: 2, exception: call.error ?? 'failed' }, dataFormat: 4 }] };
      case 'cancelled':
        return { outputs: [{ result: { status: 3, exception: 'cancelled' }, dataFormat: 4 }] };
    }
  }

  private async serveHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.baseUrl);
    const [, kind, id] = url.pathname.split('/');
    if (kind === 'block' && id && req.method === 'PUT') {
      const sha = crypto.createHash('sha256').update(body).digest('hex');
      if (sha !== id || stripTrailingZeros(body).length !== body.length) {
        res.writeHead(400).end('block does not match its hash');
        return;
      }
      this.blocks.set(sha, new Uint8Array(body));
      this.blockUploads++;
      res.writeHead(200).end(`stored ${sha}`);
      return;
    }
    if (kind === 'block' && id && req.method === 'GET') {
      const stored = this.blocks.get(id);
      if (!stored) {
        res.writeHead(404).end();
        return;
      }
      // The server pads each block back to its length (clientPadsBlocks=false).
      const padded = Buffer.alloc(Number(url.searchParams.get('length') ?? stored.length));
      padded.set(stored);
      res.writeHead(200).end(padded);
      return;
    }
    if (kind === 'blob' && id && req.method === 'PUT') {
      this.blobs.set(id, new Uint8Array(body));
      res.writeHead(200).end();
      return;
    }
    if (kind === 'blob' && id && req.method === 'GET' && this.blobs.has(id)) {
      res.writeHead(200).end(Buffer.from(this.blobs.get(id)!));
      return;
    }
    res.writeHead(404).end();
  }
}
