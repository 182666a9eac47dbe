/**
 * How a worker gets a document's bytes, one fetcher per location kind. `file` is built in; other kinds (e.g.
 * `url` with per-batch headers) register a fetcher of their own in the server's composition root.
 */
import type { DocumentLocation } from '../../protocol/worker-protocol.js';
import { DocumentError } from '../../core/errors.js';

export type LocationKind = DocumentLocation['kind'];
export type LocationOf<K extends LocationKind> = Extract<DocumentLocation, { kind: K }>;

export interface FetchContext {
  /** Refuse (`too_large`) anything bigger, ideally before reading it. */
  maxBytes: number;
  signal: AbortSignal;
}

export interface DocumentFetcher<K extends LocationKind = LocationKind> {
  readonly kind: K;
  fetch(location: LocationOf<K>, context: FetchContext): Promise<Uint8Array>;
}

/** The fetchers a worker has, keyed by the location kind each serves. */
export type DocumentFetchers = { readonly [K in LocationKind]?: DocumentFetcher<K> };

export function supportedLocationKinds(fetchers: DocumentFetchers): LocationKind[] {
  return (Object.keys(fetchers) as LocationKind[]).filter((kind) => fetchers[kind] !== undefined);
}

export async function fetchDocument(
  fetchers: DocumentFetchers,
  location: DocumentLocation,
  context: FetchContext,
): Promise<Uint8Array> {
  const fetcher = fetchers[location.kind] as DocumentFetcher | undefined;
  if (!fetcher) {
    // Batches are checked for this on arrival; reaching here means a fetcher was removed mid-flight.
    throw new DocumentError('fetch_failed', `this worker cannot fetch '${location.kind}' locations`, { retryable: false });
  }
  return fetcher.fetch(location, context);
}

export function tooLarge(size: number, maxBytes: number): DocumentError {
  return new DocumentError('too_large', `document is ${size} bytes, over the ${maxBytes} byte limit`);
}
