/** The project's version, for health reports and the HTTP API. */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The `version` of the project's package.json, read once. This file sits one folder below the project root both
 * as source (src/) and compiled (dist/), so the same relative path works for both; `0.0.0` when unreadable.
 */
export function packageVersion(): string {
  cached ??= readVersion();
  return cached;
}

function readVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
