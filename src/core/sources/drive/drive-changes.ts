/**
 * The nightly re-sync: Drive's changes API tells what changed since the last look, for a few calls instead of a
 * full listing. The page token (which does not expire) is kept in the `kv` table, one per listed root. The first
 * call only records where "now" is; take it before a full listing so nothing slips between the two.
 */
import type { drive_v3 } from '@googleapis/drive';
import { AppError } from '../../errors.js';
import type { Database } from '../../store/database.js';
import { getValue, setValue } from '../../store/kv.js';
import type { SourceDocument } from '../../engine/ports.js';
import type { DriveClient, DriveFile } from './drive-api.js';
import { FILE_FIELDS, documentMimeTypes } from './drive-query.js';
import { FOLDER_MIME, isWholeSharedDrive } from './drive-spec.js';
import type { ResolvedDriveSpec } from './drive-spec.js';
import { toSourceDocument } from './drive-source.js';

export interface DriveChangesResult {
  /** True on the first call: the token was recorded and nothing is reported (do a full listing now). */
  initialised: boolean;
  /** Documents added or modified under the root (not trashed, of a listed type), as the source would list them. */
  changed: SourceDocument[];
  /** Ids deleted, unshared or trashed (anywhere: Drive cannot say where a deleted file was). */
  removed: string[];
  /** Folders under the root that changed (moved, renamed, added): their contents may have moved in or out, so a
   *  full listing is the safe follow-up. */
  changedFolders: string[];
  /** changes.list calls spent. */
  calls: number;
}

export interface DriveChangesInput {
  db: Database;
  client: DriveClient;
  spec: ResolvedDriveSpec;
  now: number;
  signal?: AbortSignal;
}

/** The kv key under which a root's change token is kept. */
export function changesTokenKey(spec: ResolvedDriveSpec): string {
  return `gdrive.changes:${spec.driveId ?? 'user'}:${spec.rootId}`;
}

/**
 * What changed under `spec`'s root since the last call; stores the new token only after every page was read, so
 * a failure part-way repeats the same changes next time instead of losing them.
 */
export async function syncDriveChanges(input: DriveChangesInput): Promise<DriveChangesResult> {
  const { db, client, spec } = input;
  const key = changesTokenKey(spec);
  const stored = getValue(db, key);
  if (!stored) {
    setValue(db, key, await startToken(input), input.now);
    return { initialised: true, changed: [], removed: [], changedFolders: [], calls: 0 };
  }
  const scope = new ScopeResolver(client, spec, input.signal);
  const result: DriveChangesResult = { initialised: false, changed: [], removed: [], changedFolders: [], calls: 0 };
  const types = documentMimeTypes(spec.mimeTypes, spec.includeGoogleDocs);
  let pageToken: string | undefined = stored;
  let newToken: string | undefined;
  while (pageToken) {
    const page = await listChanges(input, pageToken);
    result.calls += 1;
    for (const change of page.changes ?? []) await classify(change, result, scope, types);
    pageToken = page.nextPageToken ?? undefined;
    newToken = page.newStartPageToken ?? newToken;
  }
  if (newToken) setValue(db, key, newToken, input.now);
  return result;
}

async function startToken(input: DriveChangesInput): Promise<string> {
  const { client, spec } = input;
  const data = await input.client.call('changes', 'the changes start token', () =>
    client.api.changes.getStartPageToken({ supportsAllDrives: true, ...(spec.driveId ? { driveId: spec.driveId } : {}) }, { signal: input.signal }),
  );
  if (!data.startPageToken) throw new Error('Drive returned no start page token');
  return data.startPageToken;
}

function listChanges(input: DriveChangesInput, pageToken: string): Promise<drive_v3.Schema$ChangeList> {
  const { client, spec } = input;
  const params: drive_v3.Params$Resource$Changes$List = {
    pageToken,
    pageSize: 1000,
    includeRemoved: true,
    supportsAllDrives: true,
    includeItemsFromAllDrives: true,
    fields: `nextPageToken,newStartPageToken,changes(fileId,removed,file(${FILE_FIELDS}))`,
    ...(spec.driveId ? { driveId: spec.driveId } : {}),
  };
  return client.call('changes', 'the changes listing', () => client.api.changes.list(params, { signal: input.signal }), input.signal);
}

async function classify(change: drive_v3.Schema$Change, result: DriveChangesResult, scope: ScopeResolver, types: readonly string[]): Promise<void> {
  const file = change.file;
  if (!change.fileId) return;
  if (change.removed || !file || file.trashed) {
    result.removed.push(change.fileId);
    return;
  }
  const isFolder = file.mimeType === FOLDER_MIME;
  if (!isFolder && !types.includes(file.mimeType ?? '')) return;
  if (!(await scope.contains(file))) return;
  if (isFolder) result.changedFolders.push(change.fileId);
  else result.changed.push(toSourceDocument(file, file.name ?? change.fileId));
}

/** Whether a file lies under the listed root, found by walking up its parents (each folder looked up once). */
class ScopeResolver {
  private readonly parentsOf = new Map<string, string[]>();
  private rootId: string | null = null;

  constructor(
    private readonly client: DriveClient,
    private readonly spec: ResolvedDriveSpec,
    private readonly signal?: AbortSignal,
  ) {}

  async contains(file: DriveFile): Promise<boolean> {
    if (isWholeSharedDrive(this.spec)) return file.driveId === this.spec.driveId;
    const root = await this.root();
    const seen = new Set<string>();
    let frontier = [...(file.parents ?? [])];
    for (let depth = 0; depth < 100 && frontier.length > 0; depth += 1) {
      if (frontier.includes(root)) return true;
      const next: string[] = [];
      for (const id of frontier) {
        if (seen.has(id)) continue;
        seen.add(id);
        next.push(...(await this.parents(id)));
      }
      frontier = next;
    }
    return false;
  }

  private async root(): Promise<string> {
    if (this.rootId) return this.rootId;
    const data = await this.client.call('get', 'the listed root', () =>
      this.client.api.files.get({ fileId: this.spec.rootId, fields: 'id', supportsAllDrives: true }, { signal: this.signal }),
    );
    this.rootId = data.id ?? this.spec.rootId;
    return this.rootId;
  }

  private async parents(id: string): Promise<string[]> {
    const known = this.parentsOf.get(id);
    if (known) return known;
    let parents: string[] = [];
    try {
      const data = await this.client.call('get', `folder ${id}`, () =>
        this.client.api.files.get({ fileId: id, fields: 'id,parents', supportsAllDrives: true }, { signal: this.signal }),
      );
      parents = data.parents ?? [];
    } catch (error) {
      // A folder we cannot see is outside what we list; anything else (auth, outage) must not pass for "out of scope".
      if (!(error instanceof AppError) || (error.code !== 'drive_not_found' && error.code !== 'drive_forbidden')) throw error;
    }
    this.parentsOf.set(id, parents);
    return parents;
  }
}
