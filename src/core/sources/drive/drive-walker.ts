/**
 * Walks a Drive tree breadth-first with as few list calls as possible: up to {@link PARENTS_PER_QUERY} folders per
 * `in parents` query, 1,000 items per page, documents and sub-folders in the same query (so a query is never spent
 * on folders alone). A whole shared drive is one query over the drive. Shortcuts are resolved (to a file or a
 * folder), and no file is yielded twice, however many shortcuts or parents lead to it. Only folder ids and the ids
 * already yielded are kept in memory; documents stream out as pages arrive.
 */
import type { drive_v3 } from '@googleapis/drive';
import { AppError } from '../../errors.js';
import type { EngineLogger } from '../../engine/types.js';
import type { DriveClient, DriveFile } from './drive-api.js';
import { FILE_FIELDS, LIST_FIELDS, PAGE_SIZE, PARENTS_PER_QUERY, childrenQuery, documentMimeTypes, wholeDriveQuery } from './drive-query.js';
import { FOLDER_MIME, SHORTCUT_MIME, isWholeSharedDrive } from './drive-spec.js';
import type { ResolvedDriveSpec } from './drive-spec.js';

/** A document found by the walk, with its folder path (relative to the listed root) for people. */
export interface ListedDriveFile {
  file: DriveFile;
  path: string;
}

export interface WalkStats {
  folders: number;
  pages: number;
  shortcutsResolved: number;
  /** Shortcuts whose target is gone, trashed, unreadable or of an unwanted type. */
  shortcutsSkipped: number;
  /** Items reached a second time (a shortcut to a listed file, a file in two folders). */
  duplicates: number;
}

interface PendingFolder {
  id: string;
  driveId: string | null;
  path: string;
}

export class DriveWalker {
  readonly stats: WalkStats = { folders: 0, pages: 0, shortcutsResolved: 0, shortcutsSkipped: 0, duplicates: 0 };
  private readonly yielded = new Set<string>();
  private readonly folderPaths = new Map<string, string>();
  private readonly queue: PendingFolder[] = [];
  private readonly documentTypes: string[];

  constructor(
    private readonly client: DriveClient,
    private readonly spec: ResolvedDriveSpec,
    private readonly log: EngineLogger,
    private readonly signal?: AbortSignal,
  ) {
    this.documentTypes = documentMimeTypes(spec.mimeTypes, spec.includeGoogleDocs);
  }

  async *walk(): AsyncGenerator<ListedDriveFile> {
    if (isWholeSharedDrive(this.spec)) {
      for await (const item of this.pages(wholeDriveQuery(this.documentTypes), this.spec.driveId)) yield* this.visit(item, '');
      return;
    }
    const root = await this.rootFolder();
    this.enqueueFolder(root.id!, root.driveId ?? null, '');
    while (this.queue.length > 0 && !this.signal?.aborted) {
      const group = this.takeGroup();
      for await (const item of this.pages(childrenQuery(group.map((f) => f.id), this.documentTypes), group[0]!.driveId)) {
        yield* this.visit(item, this.parentPath(item));
      }
    }
  }

  /** The listed root must exist, be readable, and be a folder. */
  private async rootFolder(): Promise<DriveFile> {
    const { rootId } = this.spec;
    const what = rootId === 'root' ? 'My Drive' : `folder ${rootId}`;
    const root = await this.client.call('get', what, () =>
      this.client.api.files.get({ fileId: rootId, fields: 'id,name,mimeType,driveId,trashed', supportsAllDrives: true }, { signal: this.signal }),
    );
    if (root.mimeType !== FOLDER_MIME) throw new AppError('drive_not_a_folder', `Drive item ${rootId} (${root.name ?? '?'}) is not a folder.`);
    if (root.trashed) throw new AppError('drive_folder_trashed', `Drive folder ${root.name ?? rootId} is in the trash.`);
    return root;
  }

  /** Up to PARENTS_PER_QUERY pending folders of one corpus (My Drive, or one shared drive). */
  private takeGroup(): PendingFolder[] {
    const driveId = this.queue[0]!.driveId;
    const group: PendingFolder[] = [];
    for (let i = 0; i < this.queue.length && group.length < PARENTS_PER_QUERY; ) {
      if (this.queue[i]!.driveId === driveId) group.push(...this.queue.splice(i, 1));
      else i += 1;
    }
    return group;
  }

  private async *pages(q: string, driveId: string | null): AsyncGenerator<DriveFile> {
    let pageToken: string | undefined;
    do {
      if (this.signal?.aborted) return;
      const params: drive_v3.Params$Resource$Files$List = { q, pageSize: PAGE_SIZE, fields: LIST_FIELDS, ...corpus(driveId), ...(pageToken ? { pageToken } : {}) };
      const page = await this.client.call('list', 'the folder listing', () => this.client.api.files.list(params, { signal: this.signal }), this.signal);
      this.stats.pages += 1;
      if (page.incompleteSearch) this.log.warn({ driveId }, 'Drive reported an incomplete search; some files may be missing');
      for (const item of page.files ?? []) yield item;
      // Pages can come back short, or empty, with more to follow: only the token says whether the listing is done.
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
  }

  private async *visit(item: DriveFile, parentPath: string): AsyncGenerator<ListedDriveFile> {
    if (!item.id || item.trashed) return;
    if (item.mimeType === FOLDER_MIME) {
      this.enqueueFolder(item.id, item.driveId ?? null, joinPath(parentPath, item.name));
      return;
    }
    if (item.mimeType === SHORTCUT_MIME) {
      const target = await this.resolveShortcut(item, parentPath);
      if (target) yield target;
      return;
    }
    if (!this.documentTypes.includes(item.mimeType ?? '')) return;
    if (this.yielded.has(item.id)) {
      this.stats.duplicates += 1;
      return;
    }
    this.yielded.add(item.id);
    yield { file: item, path: joinPath(parentPath, item.name) };
  }

  private enqueueFolder(id: string, driveId: string | null, path: string): void {
    if (this.folderPaths.has(id)) return;
    this.folderPaths.set(id, path);
    this.stats.folders += 1;
    this.queue.push({ id, driveId, path });
  }

  private parentPath(item: DriveFile): string {
    for (const parent of item.parents ?? []) {
      const path = this.folderPaths.get(parent);
      if (path !== undefined) return path;
    }
    return '';
  }

  /** A shortcut's target: a document to yield once, a folder to walk, or nothing (dangling, trashed, unwanted). */
  private async resolveShortcut(shortcut: DriveFile, parentPath: string): Promise<ListedDriveFile | null> {
    const targetId = shortcut.shortcutDetails?.targetId;
    const targetType = shortcut.shortcutDetails?.targetMimeType ?? '';
    const wanted = targetType === FOLDER_MIME || this.documentTypes.includes(targetType);
    if (!targetId || !wanted || this.yielded.has(targetId) || this.folderPaths.has(targetId)) {
      if (targetId && (this.yielded.has(targetId) || this.folderPaths.has(targetId))) this.stats.duplicates += 1;
      else this.stats.shortcutsSkipped += 1;
      return null;
    }
    const target = await this.getTarget(targetId);
    if (!target?.id || target.trashed) {
      this.stats.shortcutsSkipped += 1;
      this.log.info({ shortcut: shortcut.id, targetId }, 'shortcut target is gone or trashed; skipped');
      return null;
    }
    this.stats.shortcutsResolved += 1;
    if (target.mimeType === FOLDER_MIME) {
      this.enqueueFolder(target.id, target.driveId ?? null, joinPath(parentPath, shortcut.name));
      return null;
    }
    // A target may have been listed while we looked it up.
    if (this.yielded.has(target.id)) return null;
    this.yielded.add(target.id);
    return { file: target, path: joinPath(parentPath, target.name) };
  }

  private async getTarget(id: string): Promise<DriveFile | null> {
    try {
      return await this.client.call('get', `shortcut target ${id}`, () =>
        this.client.api.files.get({ fileId: id, fields: FILE_FIELDS, supportsAllDrives: true }, { signal: this.signal }),
      );
    } catch (error) {
      if (error instanceof AppError && (error.code === 'drive_not_found' || error.code === 'drive_forbidden')) return null;
      throw error;
    }
  }
}

/** My Drive (and shared drives' items reachable from it), or one shared drive. */
function corpus(driveId: string | null): Partial<drive_v3.Params$Resource$Files$List> {
  return driveId
    ? { corpora: 'drive', driveId, includeItemsFromAllDrives: true, supportsAllDrives: true }
    : { corpora: 'user', includeItemsFromAllDrives: true, supportsAllDrives: true };
}

function joinPath(parent: string, name: string | null | undefined): string {
  const clean = (name ?? 'untitled').replace(/\//g, '∕');
  return parent ? `${parent}/${clean}` : clean;
}
