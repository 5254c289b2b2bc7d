/**
 * Renders templates/modal_app.py for one environment. The template is a launcher with `__NAME__`
 * placeholders; every value is substituted as a Python literal (strings escaped here, numbers checked to
 * be integers in range), so no value can change the program around it.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/model.js';
import { modalResourceNames } from './names.js';
import { WAKE_KEY } from './wake.js';

/** The template ships in the package next to dist/ (package.json `files`). */
export const MODAL_APP_TEMPLATE = fileURLToPath(new URL('../../../templates/modal_app.py', import.meta.url));

/** Modal caps a function's timeout at 24 h. */
const MAX_TIMEOUT_SECONDS = 24 * 3600;
/** The task entrypoint enforces the try's own timeout; Modal's hard stop comes this much later, so the entrypoint can still report. */
export const TASK_TIMEOUT_GRACE_SECONDS = 120;
/** Billing runs while a container idles before scaling down; a tick container has nothing to wait for (Modal requires > 0). */
export const TICK_SCALEDOWN_SECONDS = 1;
export const UI_PORT = 8080;

export interface ModalAppOptions {
  env: string;
  /** The config as deployed; `database.connection_string` is dropped (it travels in the secret). */
  config: Config;
  /** Node.js version installed in the image (exact, e.g. "20.19.2"). */
  nodeVersion: string;
  /** Upper bound of one tick; also the basis of the tick lease. Default 600 s. */
  tickTimeoutSeconds?: number;
  /** How long a `ui` session may run. Default 4 h. */
  uiTimeoutSeconds?: number;
  /** The build folder ships the Python authoring package (runtime/python); see build.ts. */
  shipPython?: boolean;
}

/** A Python string literal for any JS string (code points, not UTF-16 units). */
export function pythonString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '\\') out += '\\\\';
    else if (char === '"') out += '\\"';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

function pythonInt(name: string, value: number, min: number, max: number): string {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer between ${min} and ${max}, got ${value}`);
  }
  return String(value);
}

/** The config the containers see: everything but the connection string, which the secret carries. */
export function deployedConfig(config: Config): Config {
  return { ...config, database: { ...config.database, connection_string: null } };
}

export function renderModalApp(options: ModalAppOptions, template: string = fs.readFileSync(MODAL_APP_TEMPLATE, 'utf8')): string {
  const names = modalResourceNames(options.env);
  if (!/^\d+\.\d+\.\d+$/.test(options.nodeVersion)) throw new RangeError(`nodeVersion must look like 20.19.2, got ${options.nodeVersion}`);
  const { scheduler, executor } = options.config;
  const taskTimeout = Math.min(executor.task_timeout + TASK_TIMEOUT_GRACE_SECONDS, MAX_TIMEOUT_SECONDS);
  const values: Record<string, string> = {
    APP_NAME: pythonString(names.app),
    ENV_NAME: pythonString(options.env),
    VOLUME_NAME: pythonString(names.volume),
    DICT_NAME: pythonString(names.dict),
    SECRET_NAME: pythonString(names.secret),
    CONFIG_JSON: pythonString(JSON.stringify(deployedConfig(options.config))),
    NODE_VERSION: pythonString(options.nodeVersion),
    INTERVAL_SECONDS: pythonInt('scheduler.interval_seconds', scheduler.interval_seconds, 1, MAX_TIMEOUT_SECONDS),
    TICK_TIMEOUT_SECONDS: pythonInt('tick timeout', options.tickTimeoutSeconds ?? 600, 10, MAX_TIMEOUT_SECONDS),
    TICK_SCALEDOWN_SECONDS: String(TICK_SCALEDOWN_SECONDS),
    TASK_TIMEOUT_SECONDS: pythonInt('executor.task_timeout', taskTimeout, 1, MAX_TIMEOUT_SECONDS),
    PARALLELISM: pythonInt('executor.parallelism', executor.parallelism, 1, 10_000),
    UI_PORT: String(UI_PORT),
    UI_TIMEOUT_SECONDS: pythonInt('ui timeout', options.uiTimeoutSeconds ?? 4 * 3600, 60, MAX_TIMEOUT_SECONDS),
    WAKE_KEY: pythonString(WAKE_KEY),
    SHIP_PYTHON: options.shipPython ? 'True' : 'False',
  };
  const rendered = template.replace(/__([A-Z_]+)__/g, (match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`templates/modal_app.py uses an unknown placeholder ${match}`);
    return value;
  });
  return rendered;
}
