/** An in-memory document source for engine tests and benchmarks: N documents with predictable ids and checksums. */
import type { DocumentSource, SourceDocument } from '../../src/core/engine/ports.js';

export interface SyntheticSourceOptions {
  count: number;
  key?: string;
  /** Checksum per index; default stable. */
  checksum?: (index: number) => string | null;
  /** Fails the listing after this many documents (to test interrupted planning). */
  failAfter?: number;
}

export function syntheticDocument(index: number, checksum: string | null = `sha256:${index}`): SourceDocument {
  return {
    sourceId: `doc-${String(index).padStart(6, '0')}`,
    name: `case-file-${index}.pdf`,
    mimeType: 'application/pdf',
    sizeBytes: 1000 + index,
    checksum,
    modifiedAt: '2026-01-01T00:00:00.000Z',
  };
}

export function createSyntheticSource(options: SyntheticSourceOptions): DocumentSource {
  return {
    kind: 'synthetic',
    key: options.key ?? 'synthetic:test',
    describe: () => `synthetic collection of ${options.count}`,
    async *list(listOptions) {
      for (let i = 0; i < options.count; i += 1) {
        if (options.failAfter !== undefined && i >= options.failAfter) throw new Error('listing failed (injected)');
        if (listOptions.signal?.aborted) return;
        yield syntheticDocument(i, options.checksum ? options.checksum(i) : `sha256:${i}`);
      }
    },
    locate: (documents) => Promise.resolve(documents.map((d) => ({ kind: 'file' as const, path: `/synthetic/${d.sourceId}` }))),
  };
}
