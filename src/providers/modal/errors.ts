/**
 * Errors of the modal provider. Each says what to do next in one line, because the CLI prints only the
 * message. None of them ever contains a token, a secret value or a database password.
 */
export class ModalProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The environment's app, volume or dict is not on Modal. */
export class ModalEnvironmentNotFoundError extends ModalProviderError {}

/** Modal answered UNAUTHENTICATED or PERMISSION_DENIED. */
export class ModalAuthError extends ModalProviderError {}

/** Modal stayed UNAVAILABLE (or timed out) through every retry. */
export class ModalUnavailableError extends ModalProviderError {}

/** No token in MODAL_TOKEN_ID/MODAL_TOKEN_SECRET and no ~/.modal.toml profile. */
export class ModalCredentialsMissingError extends ModalProviderError {}

/** The `modal` Python CLI is not on PATH. */
export class ModalCliMissingError extends ModalProviderError {}

/** `modal deploy` (or another CLI step) exited non-zero. */
export class ModalDeployError extends ModalProviderError {}

/** The `modal` CLI is older than the deploy needs. */
export class ModalCliVersionError extends ModalProviderError {}

/** The volume is a v1 volume; we speak only the v2 file RPCs. */
export class UnsupportedVolumeVersionError extends ModalProviderError {}

/** Any other failed Modal call: names the operation, keeps the gRPC error as `cause`. */
export class ModalCallError extends ModalProviderError {
  constructor(
    message: string,
    readonly grpcCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const CREDENTIALS_MISSING_MESSAGE =
  'no Modal credentials: set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET, or run `modal token new` to write ~/.modal.toml';

export const CLI_MISSING_MESSAGE =
  'the `modal` command is not installed: run `pip install "modal>=1.4"` (Python 3.10 or newer) and then `modal token new`';

export const AUTH_REJECTED_MESSAGE =
  'Modal rejected the credentials (MODAL_TOKEN_ID/MODAL_TOKEN_SECRET or the ~/.modal.toml profile): create a new token with `modal token new`';
