/** Reads `file` locations from this machine's file system (the local compute provider's case). */
import { open } from 'node:fs/promises';
import { DocumentError } from '../../core/errors.js';
import { tooLarge, type DocumentFetcher, type FetchContext, type LocationOf } from './document-fetcher.js';

function fileError(error: unknown, path: string): DocumentError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EISDIR':
      return new DocumentError('not_found', `no such file: ${path}`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new DocumentError('access_denied', `cannot read ${path}: permission denied`, { cause: error });
    default:
      return new DocumentError('fetch_failed', `cannot read ${path}: ${reason}`, { cause: error });
  }
}

async function readBounded(location: LocationOf<'file'>, context: FetchContext): Promise<Uint8Array> {
  const handle = await open(location.path, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new DocumentError('not_found', `not a regular file: ${location.path}`);
    if (stat.size > context.maxBytes) throw tooLarge(stat.size, context.maxBytes);
    const bytes = await handle.readFile({ signal: context.signal });
    // The file may have grown between stat and read.
    if (bytes.byteLength > context.maxBytes) throw tooLarge(bytes.byteLength, context.maxBytes);
    return bytes;
  } finally {
    await handle.close();
  }
}

export function createFileFetcher(): DocumentFetcher<'file'> {
  return {
    kind: 'file',
    async fetch(location, context) {
      try {
        return await readBounded(location, context);
      } catch (error) {
        if (error instanceof DocumentError || context.signal.aborted) throw error;
        throw fileError(error, location.path);
      }
    },
  };
}
