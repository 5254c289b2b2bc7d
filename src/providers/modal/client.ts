/**
 * The connection to Modal: builds the JS SDK client and runs every call through one error mapper and one
 * retry loop. Every other module of the provider talks to Modal through `ModalConnection.call`, so the
 * translation of gRPC status codes into our errors lives here and nowhere else.
 *
 * Retries: the SDK's own middleware retries every unary call 3 more times on transient codes, with one
 * idempotency key (so a write whose reply was lost lands once and is then repeated: see
 * ModalStateDict.putIfAbsent). It does not retry server-streaming calls (DictContents, VolumeListFiles2),
 * so `call` retries only those (`{ stream: true }`), on the known-transient codes (STYLE 11). Retrying
 * unary calls here as well would multiply the SDK's attempts (4 × 4).
 */
import { ModalClient, NotFoundError } from 'modal';
import type { ModalClientParams } from 'modal';
import {
  AUTH_REJECTED_MESSAGE,
  CREDENTIALS_MISSING_MESSAGE,
  ModalAuthError,
  ModalCallError,
  ModalCredentialsMissingError,
  ModalUnavailableError,
} from './errors.js';

/** gRPC status codes we read (values from the gRPC spec; the SDK's enum is type-only). */
export const GrpcCode = {
  CANCELLED: 1,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const TRANSIENT_CODES: ReadonlySet<number> = new Set([GrpcCode.UNAVAILABLE, GrpcCode.DEADLINE_EXCEEDED]);

export type GrpcMiddleware = NonNullable<ModalClientParams['grpcMiddleware']>[number];

/**
 * Custom middleware runs outside the SDK's own (retry, auth). A test transport that must sit under them
 * takes the client once it exists and re-runs the SDK's middleware in front of itself.
 */
export type BindableGrpcMiddleware = GrpcMiddleware & { bindClient?: (client: ModalClient) => void };

/** Attempts of one unary call: the first plus the SDK retry middleware's 3 retries. */
export const SDK_UNARY_ATTEMPTS = 4;

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 5_000 };

export interface ModalConnectionOptions {
  /** The Modal environment (config `modal.environment`); null/undefined means the profile's or the workspace default. */
  environment?: string | null;
  tokenId?: string;
  tokenSecret?: string;
  /** Tests plug an in-process fake of Modal's API in here. */
  grpcMiddleware?: GrpcMiddleware[];
  retry?: RetryPolicy;
}

export interface ModalTokens {
  tokenId: string;
  tokenSecret: string;
}

/** The gRPC code of an error thrown by the SDK, if it is a gRPC error (nice-grpc ClientError, duck-typed). */
export function grpcCodeOf(error: unknown): number | undefined {
  if (error instanceof NotFoundError) return GrpcCode.NOT_FOUND;
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    const name = (error as { name?: unknown }).name;
    if (name === 'ClientError') return error.code;
  }
  return undefined;
}

function detailsOf(error: unknown): string {
  const details = (error as { details?: unknown }).details;
  if (typeof details === 'string' && details !== '') return details;
  return error instanceof Error ? error.message : String(error);
}

/** Translates a failed SDK call into our error types. NOT_FOUND stays a ModalCallError: only callers know what was missing. */
export function mapModalError(operation: string, error: unknown, attempts = 1): Error {
  if (error instanceof ModalCallError || error instanceof ModalAuthError || error instanceof ModalUnavailableError) {
    return error;
  }
  if (error instanceof Error && error.message.startsWith('Profile is missing credentials')) {
    return new ModalCredentialsMissingError(CREDENTIALS_MISSING_MESSAGE, { cause: error });
  }
  const code = grpcCodeOf(error);
  if (code === GrpcCode.UNAUTHENTICATED || code === GrpcCode.PERMISSION_DENIED) {
    return new ModalAuthError(AUTH_REJECTED_MESSAGE, { cause: error });
  }
  if (code !== undefined && TRANSIENT_CODES.has(code)) {
    return new ModalUnavailableError(
      `Modal is unavailable (${operation} failed ${attempts} time${attempts === 1 ? '' : 's'}: ${detailsOf(error)}); check https://status.modal.com and try again`,
      { cause: error },
    );
  }
  return new ModalCallError(`Modal ${operation} failed: ${detailsOf(error)}`, code, { cause: error });
}

export function isNotFound(error: unknown): boolean {
  return grpcCodeOf(error) === GrpcCode.NOT_FOUND || (error instanceof ModalCallError && error.grpcCode === GrpcCode.NOT_FOUND);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ModalConnection {
  readonly client: ModalClient;
  /** The Modal environment name sent with lookups; '' means the server default. */
  readonly environment: string;
  private readonly retry: RetryPolicy;

  constructor(options: ModalConnectionOptions = {}) {
    const params: ModalClientParams = {};
    if (options.environment) params.environment = options.environment;
    if (options.tokenId !== undefined) params.tokenId = options.tokenId;
    if (options.tokenSecret !== undefined) params.tokenSecret = options.tokenSecret;
    if (options.grpcMiddleware) params.grpcMiddleware = options.grpcMiddleware;
    this.client = new ModalClient(params);
    for (const middleware of options.grpcMiddleware ?? []) (middleware as BindableGrpcMiddleware).bindClient?.(this.client);
    this.environment = this.client.environmentName(options.environment ?? undefined);
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /** The token the SDK resolved (constructor, MODAL_TOKEN_ID/SECRET, or the active ~/.modal.toml profile). */
  tokens(): ModalTokens | undefined {
    const { tokenId, tokenSecret } = this.client.profile;
    return tokenId && tokenSecret ? { tokenId, tokenSecret } : undefined;
  }

  /** True when the SDK found any credentials at all (token or OAuth). */
  hasCredentials(): boolean {
    const p = this.client.profile;
    return Boolean((p.tokenId && p.tokenSecret) || p.oauthRefreshToken);
  }

  /**
   * Runs one Modal operation and maps any failure to our errors. Unary calls are retried by the SDK
   * (SDK_UNARY_ATTEMPTS); a streaming call (`stream: true`) is retried here with exponential backoff and
   * jitter. `fn` must be safe to repeat (callers of non-idempotent calls resolve ambiguity themselves, see
   * ModalStateDict.putIfAbsent).
   */
  async call<T>(operation: string, fn: (client: ModalClient) => Promise<T>, options: { stream?: boolean } = {}): Promise<T> {
    let delay = this.retry.baseDelayMs;
    const attempts = options.stream ? this.retry.attempts : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(this.client);
      } catch (error) {
        const code = grpcCodeOf(error);
        const transient = code !== undefined && TRANSIENT_CODES.has(code);
        if (!transient || attempt >= attempts) throw mapModalError(operation, error, options.stream ? attempt : SDK_UNARY_ATTEMPTS);
        await sleep(delay / 2 + Math.random() * (delay / 2));
        delay = Math.min(delay * 2, this.retry.maxDelayMs);
      }
    }
  }

  close(): void {
    this.client.close();
  }
}
