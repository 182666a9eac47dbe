/**
 * What a Google Drive source lists: a folder (recursively), "My Drive", or a whole shared drive, filtered by MIME
 * type. Front ends send `{ kind: 'gdrive', … }`; defaults come from the configuration.
 */

export const FOLDER_MIME = 'application/vnd.google-apps.folder';
export const SHORTCUT_MIME = 'application/vnd.google-apps.shortcut';
export const GOOGLE_DOC_MIME = 'application/vnd.google-apps.document';
/** What the workers can read. */
export const SUPPORTED_MIME_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'image/tiff'] as const;
export const DEFAULT_MIME_TYPES: readonly string[] = ['application/pdf'];

/** The spec a front end sends. `null`/absent fields take the configured defaults. */
export interface DriveSourceSpec {
  kind: 'gdrive';
  /** A folder id, or 'root' for My Drive. Default: DRIVE_FOLDER_ID, else the shared drive, else My Drive. */
  folderId?: string | null;
  /** A shared drive id: alone, the whole shared drive; with `folderId`, the folder inside it. */
  driveId?: string | null;
  /** Absent: the configured list (default PDF). `null`: every type the workers read. */
  mimeTypes?: string[] | null;
  /** Google Docs, exported to PDF (Google caps an export at about 10 MB). */
  includeGoogleDocs?: boolean;
}

export interface DriveDefaults {
  folderId: string | null;
  driveId: string | null;
  mimeTypes: readonly string[];
  includeGoogleDocs: boolean;
}

/** A spec with every choice made. */
export interface ResolvedDriveSpec {
  /** The folder whose tree is listed ('root' = My Drive; equals `driveId` for a whole shared drive). */
  rootId: string;
  driveId: string | null;
  mimeTypes: string[];
  includeGoogleDocs: boolean;
}

export function isDriveSpec(spec: { kind: string }): spec is DriveSourceSpec {
  return spec.kind === 'gdrive';
}

export function resolveDriveSpec(spec: DriveSourceSpec, defaults: DriveDefaults): ResolvedDriveSpec {
  const driveId = spec.driveId === undefined ? defaults.driveId : spec.driveId;
  const folderId = spec.folderId ?? (spec.driveId ? null : defaults.folderId);
  const mimeTypes = spec.mimeTypes === null ? [...SUPPORTED_MIME_TYPES] : [...(spec.mimeTypes ?? defaults.mimeTypes)];
  return {
    rootId: folderId ?? driveId ?? 'root',
    driveId: driveId ?? null,
    mimeTypes: mimeTypes.length > 0 ? mimeTypes : [...DEFAULT_MIME_TYPES],
    includeGoogleDocs: spec.includeGoogleDocs ?? defaults.includeGoogleDocs,
  };
}

/** The whole shared drive, listed in one query instead of folder by folder. */
export function isWholeSharedDrive(spec: ResolvedDriveSpec): boolean {
  return spec.driveId !== null && spec.rootId === spec.driveId;
}

/** For people: "Google Drive folder 1AbC…", "shared drive 0AXy…", "My Drive". */
export function describeDriveSpec(spec: ResolvedDriveSpec): string {
  const types = spec.mimeTypes.map((m) => m.replace(/^(application|image)\//, '')).join(', ') + (spec.includeGoogleDocs ? ', Google Docs' : '');
  if (isWholeSharedDrive(spec)) return `Google shared drive ${spec.driveId} (${types})`;
  if (spec.rootId === 'root') return `Google Drive: My Drive (${types})`;
  return `Google Drive folder ${spec.rootId}${spec.driveId ? ` in shared drive ${spec.driveId}` : ''} (${types})`;
}
