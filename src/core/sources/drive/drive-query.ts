/** Drive `q` strings for listing, built in one place so quoting is never done by hand elsewhere. */
import { FOLDER_MIME, GOOGLE_DOC_MIME, SHORTCUT_MIME } from './drive-spec.js';

/** Only what planning needs; `permissions` in particular is never asked for (it caps pages at 100). */
export const FILE_FIELDS = 'id,name,mimeType,size,md5Checksum,headRevisionId,modifiedTime,parents,shortcutDetails,trashed,driveId';
export const LIST_FIELDS = `nextPageToken,incompleteSearch,files(${FILE_FIELDS})`;
export const PAGE_SIZE = 1000;
/**
 * Folders per `in parents` query. More parents per query means fewer partial last pages (the cost that grows with
 * the folder count); rclone groups 50 as well, which keeps the query well inside Drive's length limits.
 */
export const PARENTS_PER_QUERY = 50;

/** A literal in a Drive query: single-quoted, with `\` and `'` escaped. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The MIME types a listing yields as documents (Google Docs when asked for). */
export function documentMimeTypes(mimeTypes: readonly string[], includeGoogleDocs: boolean): string[] {
  return includeGoogleDocs ? [...mimeTypes, GOOGLE_DOC_MIME] : [...mimeTypes];
}

/** Children of these folders that are documents, shortcuts or folders to descend into; never trashed ones. */
export function childrenQuery(parents: readonly string[], documentTypes: readonly string[]): string {
  const inParents = parents.map((id) => `${quote(id)} in parents`).join(' or ');
  return `(${inParents}) and trashed = false and (${mimeClause([...documentTypes, SHORTCUT_MIME, FOLDER_MIME])})`;
}

/** Every document and shortcut anywhere in a shared drive (folders are not needed: nothing is walked). */
export function wholeDriveQuery(documentTypes: readonly string[]): string {
  return `trashed = false and (${mimeClause([...documentTypes, SHORTCUT_MIME])})`;
}

function mimeClause(types: readonly string[]): string {
  return types.map((type) => `mimeType = ${quote(type)}`).join(' or ');
}
