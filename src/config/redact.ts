/** Database URLs carry passwords: anything we print shows them through here. */

/** `postgres://user:secret@host:5432/db?password=x` → `postgres://user:***@host:5432/db?password=***`. */
export function redactConnectionString(connectionString: string): string {
  // libpq key=value form: host=... password=...
  if (!connectionString.includes('://')) return connectionString.replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1***');
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return '<redacted>';
  }
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/password|secret|token/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString().replace(/%2A%2A%2A/g, '***');
}
