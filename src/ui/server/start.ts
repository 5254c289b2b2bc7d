/** Serves the UI app on a real socket (127.0.0.1 by default) until `close()`. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createUiApp, type UiDeps } from './app.js';

export interface UiServerOptions extends UiDeps {
  /** Interface to bind; 127.0.0.1 keeps the UI off the network (Modal's tunnel forwards to it). */
  host?: string;
  /** 0 picks any free port. */
  port?: number;
}

export interface UiServer {
  /** Base URL without the token, e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export class UiServerStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UiServerStartError';
  }
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const app = createUiApp(options);
  const server = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error) =>
      reject(new UiServerStartError(`cannot listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`, { cause: error })),
    );
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close() {
      // Idle keep-alive connections (a browser's) would hold `close` open forever; drop them.
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        const http = server as unknown as { closeAllConnections?: () => void };
        http.closeAllConnections?.();
      });
      return closing;
    },
  };
}

/** The link that logs a browser in (once): `{url}/?token=…`. */
export function loginUrl(server: Pick<UiServer, 'url'>, token: string): string {
  return `${server.url}/?token=${encodeURIComponent(token)}`;
}
