/**
 * Downloads the next documents while the current ones are processed, so a rented GPU does not wait for the
 * network. It looks at the queue through a live view (the batch runner's), starts downloads for the first
 * `documents` waiting documents whose fetcher can stage them, and keeps everything it holds — downloading or
 * done, not yet taken — under `bytes`. A download that would break the byte bound is dropped (the document is
 * then fetched when it runs). Files live in the worker's temporary folder and are removed when taken, released
 * (a cancelled batch) or on close.
 *
 * The processor sees none of this: {@link Prefetcher.fetchers} wraps the real fetchers and hands over a
 * prefetched download (waiting for it if it is still running) when there is one for that location object.
 */
import type { DocumentLocation } from '../../protocol/worker-protocol.js';
import type { Logger } from '../../logger.js';
import { raceAbort } from '../abort.js';
import type { PrefetchSettings } from '../config.js';
import type { DocumentFetcher, DocumentFetchers, FetchContext, LocationKind, StagedDocument } from './document-fetcher.js';

export interface PrefetchItem {
  /** The queued document's location: the very object the processor will later ask to fetch. */
  location: DocumentLocation;
  maxBytes: number;
  /** The size the source reported, when it did: lets a too-big document be skipped before it starts. */
  sizeHint?: number | undefined;
}

export interface PrefetchStats {
  /** Downloads running, and finished ones not yet taken. */
  downloading: number;
  ready: number;
  /** Bytes held (downloaded so far, or reserved from the size hint). */
  bytes: number;
  /** Documents that found their download started ahead, and that had to download when they ran. */
  hits: number;
  misses: number;
  /** Downloads dropped to keep within the byte bound. */
  dropped: number;
}

export interface Prefetcher {
  /** The fetchers to give the document processor. */
  readonly fetchers: DocumentFetchers;
  /** Where the waiting documents come from, in the order they will run. Called again on every refresh. */
  watch(upcoming: () => Iterable<PrefetchItem>): void;
  /** The queue changed (or a document started): start what now fits. */
  refresh(): void;
  /** The document will not run (cancelled): stop its download and delete its file. */
  release(location: DocumentLocation): void;
  stats(): PrefetchStats;
  /** Stops every download and deletes every file. Idempotent. */
  close(): Promise<void>;
}

interface Entry {
  controller: AbortController;
  /** Bytes on disk so far, at least the size hint (reserved). */
  bytes: number;
  reserved: number;
  state: 'downloading' | 'ready' | 'failed';
  /** A document is waiting for it: never dropped for the byte bound any more. */
  claimed: boolean;
  released: boolean;
  download: Promise<StagedDocument>;
}

class Dropped extends Error {
  override readonly name = 'PrefetchDropped';
}

export interface PrefetcherOptions {
  fetchers: DocumentFetchers;
  settings: PrefetchSettings;
  logger: Logger;
}

type AnyFetcher = DocumentFetcher<LocationKind>;

export function createPrefetcher(options: PrefetcherOptions): Prefetcher {
  const { settings, logger } = options;
  const entries = new Map<DocumentLocation, Entry>();
  // Dropped for the byte bound: not tried again ahead of time (it would only be dropped again).
  const tooBig = new WeakSet<DocumentLocation>();
  const counters = { hits: 0, misses: 0, dropped: 0 };
  let upcoming: () => Iterable<PrefetchItem> = () => [];
  let closed = false;

  const stager = (location: DocumentLocation): AnyFetcher | undefined => {
    const fetcher = options.fetchers[location.kind] as AnyFetcher | undefined;
    return fetcher?.stage ? fetcher : undefined;
  };
  const heldBytes = (): number => [...entries.values()].reduce((sum, entry) => sum + entry.bytes, 0);

  function drop(location: DocumentLocation, entry: Entry, reason: Error): void {
    if (entries.get(location) !== entry) return;
    entries.delete(location);
    entry.released = true;
    entry.controller.abort(reason);
    // A finished download's file goes too; a running one is removed by the download itself as it aborts.
    void entry.download.then((staged) => staged.discard(), () => undefined);
  }

  function onProgress(location: DocumentLocation, entry: Entry, bytes: number): void {
    entry.bytes = Math.max(entry.reserved, bytes);
    if (!entry.claimed && heldBytes() > settings.bytes) {
      counters.dropped += 1;
      logger.debug({ bytes: settings.bytes }, 'prefetch dropped to stay within the byte bound');
      tooBig.add(location);
      drop(location, entry, new Dropped('over the prefetch byte bound'));
    }
  }

  function start(item: PrefetchItem, fetcher: AnyFetcher): void {
    const controller = new AbortController();
    const reserved = item.sizeHint ?? 0;
    const context = { maxBytes: item.maxBytes, signal: controller.signal, onProgress: (bytes: number) => onProgress(item.location, entry, bytes) };
    const stage = fetcher.stage as NonNullable<AnyFetcher['stage']>;
    const entry: Entry = { controller, bytes: reserved, reserved, state: 'downloading', claimed: false, released: false, download: stage(item.location, context) };
    entries.set(item.location, entry);
    entry.download
      .then(
        (staged) => {
          entry.state = 'ready';
          entry.bytes = Math.max(entry.reserved, staged.bytes);
          if (entry.released) void staged.discard();
        },
        () => {
          // The error waits for the document; its partial file is already gone.
          entry.state = 'failed';
          entry.bytes = 0;
        },
      )
      .finally(() => queueMicrotask(refresh));
  }

  /** Whether a document of `size` bytes could be held now; `never` when it exceeds the whole bound. */
  function room(size: number): 'yes' | 'later' | 'never' {
    if (size > settings.bytes) return 'never';
    return heldBytes() + size <= settings.bytes ? 'yes' : 'later';
  }

  function refresh(): void {
    if (closed || settings.documents === 0 || settings.bytes === 0) return;
    let considered = 0;
    for (const item of upcoming()) {
      const fetcher = stager(item.location);
      if (!fetcher) continue;
      if (++considered > settings.documents) return;
      if (entries.has(item.location) || tooBig.has(item.location)) continue;
      const fits = room(item.sizeHint ?? 0);
      if (fits === 'never') continue;
      if (fits === 'later' || heldBytes() >= settings.bytes) return;
      start(item, fetcher);
    }
  }

  /** Takes a prefetched download: waits for it, reads it, deletes the file. Null when there is none to take. */
  async function take(location: DocumentLocation, context: FetchContext): Promise<Uint8Array | null> {
    const entry = entries.get(location);
    if (!entry) return null;
    entry.claimed = true;
    try {
      const staged = await raceAbort(entry.download, context.signal);
      try {
        return await staged.read();
      } finally {
        await staged.discard();
      }
    } catch (error) {
      // Dropped under us (released, closing): fetch it the ordinary way; a real download error stands.
      if (entry.controller.signal.aborted && !context.signal.aborted) return null;
      throw error;
    } finally {
      if (entries.get(location) === entry) entries.delete(location);
      refresh();
    }
  }

  function wrap(fetcher: AnyFetcher): AnyFetcher {
    if (!fetcher.stage) return fetcher;
    return {
      ...fetcher,
      async fetch(location, context) {
        const prefetched = await take(location, context);
        if (prefetched) {
          counters.hits += 1;
          return prefetched;
        }
        counters.misses += 1;
        return fetcher.fetch(location, context);
      },
    };
  }

  const fetchers = Object.fromEntries(
    Object.entries(options.fetchers).map(([kind, fetcher]) => [kind, wrap(fetcher as AnyFetcher)]),
  ) as DocumentFetchers;

  return {
    fetchers,
    watch(source) {
      upcoming = source;
    },
    refresh,
    release(location) {
      const entry = entries.get(location);
      if (entry && !entry.claimed) drop(location, entry, new Dropped('the document will not run'));
    },
    stats() {
      const all = [...entries.values()];
      return {
        downloading: all.filter((entry) => entry.state === 'downloading').length,
        ready: all.filter((entry) => entry.state === 'ready').length,
        bytes: heldBytes(),
        ...counters,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      const all = [...entries.entries()];
      for (const [location, entry] of all) drop(location, entry, new Dropped('the worker is stopping'));
      await Promise.allSettled(all.map(([, entry]) => entry.download.then((staged) => staged.discard())));
    },
  };
}
