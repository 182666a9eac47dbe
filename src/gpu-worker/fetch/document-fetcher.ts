/**
 * How a worker gets a document's bytes, one fetcher per location kind. `file` is built in; `url` (with per-batch
 * headers) is registered in the server's composition root. A fetcher that can also put a document on local disk
 * ahead of time (`stage`) lets the prefetcher download the next documents while the current ones are processed.
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

/** A document downloaded to this machine, waiting to be read. */
export interface StagedDocument {
  readonly bytes: number;
  /** The whole content. */
  read(): Promise<Uint8Array>;
  /** Removes the local copy. Idempotent; safe to call whatever happened before. */
  discard(): Promise<void>;
}

export interface StageContext extends FetchContext {
  /** Told the bytes downloaded so far, as they arrive. */
  onProgress?: (bytes: number) => void;
}

export interface DocumentFetcher<K extends LocationKind = LocationKind> {
  readonly kind: K;
  fetch(location: LocationOf<K>, context: FetchContext): Promise<Uint8Array>;
  /** Downloads to a local file without reading it (prefetching). Fetchers of local files have no need for it. */
  stage?(location: LocationOf<K>, context: StageContext): Promise<StagedDocument>;
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
