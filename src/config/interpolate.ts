/**
 * `${VAR}` and `${VAR:-default}` in config values (never keys), so secrets such as the database URL can
 * live in the environment instead of the file. `$${` writes a literal `${`.
 */
import { ScalarTransformError } from '../dag/yaml-source.js';

const REFERENCE = /\$(\$?)\{([^}]*)\}/g;
const REFERENCE_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** Replace references in one string; throws ScalarTransformError naming the variable and the key. */
export function interpolate(value: string, env: NodeJS.ProcessEnv, key: string): string {
  return value.replace(REFERENCE, (whole, escaped: string, body: string) => {
    if (escaped) return whole.slice(1);
    const match = REFERENCE_BODY.exec(body);
    if (!match) {
      throw new ScalarTransformError(`${key}: malformed reference \${${body}}; allowed: \${NAME} or \${NAME:-default}`);
    }
    const [, name = '', fallback] = match;
    const current = env[name];
    // Shell semantics: `:-` also applies to a variable that is set but empty.
    if (current !== undefined && (current !== '' || fallback === undefined)) return current;
    if (fallback !== undefined) return fallback;
    throw new ScalarTransformError(`${key}: environment variable ${name} is not set; allowed: set ${name}, or write \${${name}:-default}`);
  });
}

/**
 * An unquoted `interval_seconds: ${TICK}` means the number, as if the value had been written there; a
 * quoted one stays a string. Only YAML core scalars are re-typed: nothing can become a mapping.
 */
export function retypePlainScalar(text: string): unknown {
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^(null|Null|NULL|~|)$/.test(text)) return null;
  return text;
}
