/**
 * A folder on this machine as a document source: recursive, type detected from content, ids = paths relative to
 * the folder (stable across runs), checksum = sha256 of the content.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, opendir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AppError } from '../errors.js';
import type { DocumentSource, ListOptions, SourceDocument, WorkerTarget } from '../engine/ports.js';
import type { DocumentLocation } from '../../protocol/worker-protocol.js';
import { SNIFF_BYTES, UNKNOWN_MIME, detectFileType } from '../../protocol/file-types.js';

/** Files operating systems leave behind; never documents. */
const JUNK = new Set(['.ds_store', 'thumbs.db', 'desktop.ini']);

export interface LocalFolderSpec {
  kind: 'local';
  path: string;
}

export function isLocalFolderSpec(spec: { kind: string }): spec is LocalFolderSpec {
  return spec.kind === 'local' && typeof (spec as { path?: unknown }).path === 'string';
}

export function createLocalFolderSource(folder: string): DocumentSource {
  let root: string | null = null;

  async function resolveRoot(): Promise<string> {
    if (root) return root;
    let info;
    try {
      info = await stat(folder);
    } catch {
      throw new AppError('folder_not_found', `The folder ${folder} does not exist.`, {
        hint: 'Check the path, or put documents in data/inbox.',
      });
    }
    if (!info.isDirectory()) throw new AppError('not_a_folder', `${folder} is a file, not a folder.`);
    root = await realpath(folder);
    return root;
  }

  return {
    kind: 'local',
    get key() {
      return `local:${root ?? folder}`;
    },
    describe: () => `folder ${folder}`,
    async *list(options: ListOptions): AsyncIterable<SourceDocument> {
      const base = await resolveRoot();
      let listed = 0;
      for await (const file of walk(base, options.signal)) {
        const doc = await describeFile(base, file);
        if (!doc) continue;
        yield doc;
        listed += 1;
        if (options.maxDocuments != null && listed >= options.maxDocuments) return;
      }
    },
    async locate(documents: readonly SourceDocument[], target: WorkerTarget): Promise<DocumentLocation[]> {
      if (!target.sharesFileSystem) {
        throw new AppError('source_unreachable', 'Documents in a local folder can only be processed by workers on this machine.', {
          hint: 'Use local compute for local folders, or put the documents in Google Drive.',
        });
      }
      const base = await resolveRoot();
      return documents.map((doc) => ({ kind: 'file' as const, path: join(base, ...doc.sourceId.split('/')) }));
    },
  };
}

/** Depth-first, sorted, so the listing order (and thus batches) is the same every time. Never follows links. */
async function* walk(dir: string, signal?: AbortSignal): AsyncIterable<string> {
  const entries: { name: string; isDir: boolean; isFile: boolean }[] = [];
  const handle = await opendir(dir);
  for await (const entry of handle) {
    entries.push({ name: entry.name, isDir: entry.isDirectory(), isFile: entry.isFile() });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (signal?.aborted) return;
    if (entry.name.startsWith('.') || JUNK.has(entry.name.toLowerCase())) continue;
    const full = join(dir, entry.name);
    if (entry.isDir) yield* walk(full, signal);
    else if (entry.isFile) yield full;
  }
}

async function describeFile(base: string, file: string): Promise<SourceDocument | null> {
  const sourceId = relative(base, file).split(sep).join('/');
  let size: number;
  let modifiedAt: string;
  try {
    const info = await stat(file);
    size = info.size;
    modifiedAt = info.mtime.toISOString();
  } catch {
    return null; // vanished between listing the folder and looking at it
  }
  const { mime, checksum } = await sniffAndHash(file);
  return { sourceId, name: sourceId, mimeType: mime, sizeBytes: size, checksum, modifiedAt };
}

/** Type from the first bytes and a sha256 of the whole file; an unreadable file is listed (the worker reports why). */
async function sniffAndHash(file: string): Promise<{ mime: string; checksum: string | null }> {
  try {
    const handle = await open(file, 'r');
    let head: Buffer;
    try {
      const buffer = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    return { mime: detectFileType(head)?.mime ?? UNKNOWN_MIME, checksum: `sha256:${hash.digest('hex')}` };
  } catch {
    return { mime: UNKNOWN_MIME, checksum: null };
  }
}
