/**
 * A fake Google Drive v3 (and its OAuth token endpoint) for the real `@googleapis/drive` client, following
 * ../shared/reference/external-apis.md: files.list with `q`, `pageSize` ≤ 1000, page tokens, corpora/driveId and
 * the all-drives flags (shared-drive items are invisible without them), trashed files listed unless excluded,
 * shortcuts, Google Docs (export to PDF, capped), binary downloads with Range, changes with start page tokens,
 * Google-shaped errors. Faults (429 with retry-after, 5xx, 403 rate limits, hangs, resets) come from
 * {@link HttpFake.inject}; vanished files from {@link DriveFake.remove}.
 */
import { createHash, randomBytes } from 'node:crypto';
import { HttpFake } from './http-fake.js';
import type { FakeRequest, FakeResponse } from './http-fake.js';
import { InvalidQueryError, parseQuery } from './drive-query.js';

export const FOLDER = 'application/vnd.google-apps.folder';
export const SHORTCUT = 'application/vnd.google-apps.shortcut';
export const GOOGLE_DOC = 'application/vnd.google-apps.document';
const NO_CONTENT = new Set([FOLDER, SHORTCUT, GOOGLE_DOC]);

export interface FakeFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  driveId: string | null;
  trashed: boolean;
  modifiedTime: string;
  headRevisionId: string | null;
  content: Buffer | null;
  shortcutDetails: { targetId: string; targetMimeType: string } | null;
  seq: number;
}

interface Change {
  seq: number;
  fileId: string;
  driveId: string | null;
}

export interface DriveFakeOptions {
  /** Pages never hold more than this (Drive may return short pages). */
  maxPageSize?: number;
  /** Every n-th page comes back empty but with a next token (Drive does this). 0 = never. */
  emptyPageEvery?: number;
  /** Google Docs whose PDF would be bigger than this cannot be exported (Drive's limit is about 10 MB). */
  exportLimitBytes?: number;
}

export class DriveFake {
  readonly http = new HttpFake('drive');
  readonly rootId = 'myDriveRoot0000000000000000000000';
  readonly files = new Map<string, FakeFile>();
  /** Calls to files.list, the figure listing budgets are about. */
  listCalls = 0;
  private readonly children = new Map<string, string[]>();
  private readonly drives = new Map<string, string>();
  private readonly accessTokens = new Set<string>();
  private readonly refreshTokens = new Set<string>();
  private readonly authCodes = new Map<string, { verifier: string | null }>();
  private readonly changes: Change[] = [];
  private seq = 0;
  private idCounter = 0;
  private pageCounter = 0;
  private clock = Date.UTC(2026, 0, 1);

  constructor(readonly options: DriveFakeOptions = {}) {
    this.files.set(this.rootId, this.make(this.rootId, 'My Drive', FOLDER, [], null, null));
  }

  async start(): Promise<this> {
    this.http
      .on('POST', '/token', (req) => this.token(req))
      .on('GET', '/drive/v3/files', (req) => this.authorized(req, () => this.list(req)))
      .on('GET', '/drive/v3/files/:id/export', (req) => this.authorized(req, () => this.export(req)))
      .on('GET', '/drive/v3/files/:id', (req) => this.authorized(req, () => this.get(req)))
      .on('GET', '/drive/v3/changes/startPageToken', (req) => this.authorized(req, () => this.startPageToken()))
      .on('GET', '/drive/v3/changes', (req) => this.authorized(req, () => this.listChanges(req)));
    await this.http.start();
    return this;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  /** What GOOGLE_API_ROOT_URL should be. */
  get rootUrl(): string {
    return `${this.http.url}/`;
  }

  // ── building the drive ──────────────────────────────────────────────────────────────────────────────────────

  newId(prefix = 'f'): string {
    this.idCounter += 1;
    return `${prefix}${String(this.idCounter).padStart(8, '0')}${'x'.repeat(24)}`;
  }

  addSharedDrive(name: string): string {
    const id = this.newId('0A');
    this.drives.set(id, name);
    this.files.set(id, this.make(id, name, FOLDER, [], id, null));
    return id;
  }

  addFolder(name: string, parent: string): string {
    return this.insert(this.make(this.newId('d'), name, FOLDER, [parent], this.driveOf(parent), null));
  }

  addFile(name: string, parent: string, content: Buffer = Buffer.from(`%PDF-1.4 ${name}`), mimeType = 'application/pdf'): string {
    return this.insert(this.make(this.newId(), name, mimeType, [parent], this.driveOf(parent), content));
  }

  /** A Google Doc; its PDF export is `pdf`. */
  addGoogleDoc(name: string, parent: string, pdf: Buffer): string {
    return this.insert(this.make(this.newId('g'), name, GOOGLE_DOC, [parent], this.driveOf(parent), pdf));
  }

  addShortcut(name: string, parent: string, targetId: string): string {
    const target = this.files.get(targetId);
    const file = this.make(this.newId('s'), name, SHORTCUT, [parent], this.driveOf(parent), null);
    file.shortcutDetails = { targetId, targetMimeType: target?.mimeType ?? 'application/pdf' };
    return this.insert(file);
  }

  /** Adds a parent (Drive files could have several). */
  addParent(id: string, parent: string): void {
    this.files.get(id)!.parents.push(parent);
    this.childList(parent).push(id);
    this.touch(id);
  }

  trash(id: string): void {
    this.files.get(id)!.trashed = true;
    this.touch(id);
  }

  /** Deleted for good (or unshared): gone from listings, gets and downloads. */
  remove(id: string): void {
    const file = this.files.get(id);
    if (!file) return;
    this.files.delete(id);
    this.record(id, file.driveId);
  }

  modify(id: string, content: Buffer): void {
    this.files.get(id)!.content = content;
    this.touch(id);
  }

  /** A valid access token without going through OAuth. */
  issueAccessToken(): string {
    const token = `ya29.fake-${randomBytes(12).toString('hex')}`;
    this.accessTokens.add(token);
    return token;
  }

  revokeAccessTokens(): void {
    this.accessTokens.clear();
  }

  private downloads = 0;
  private downloadHooks: { after: number; run: () => void }[] = [];

  /** Runs `run` once, right after the `count`-th successful download from now (prefetching cannot outrun it). */
  afterDownloads(count: number, run: () => void): void {
    this.downloadHooks.push({ after: this.downloads + count, run });
  }

  private downloaded(): void {
    this.downloads += 1;
    const due = this.downloadHooks.filter((hook) => hook.after <= this.downloads);
    this.downloadHooks = this.downloadHooks.filter((hook) => hook.after > this.downloads);
    for (const hook of due) hook.run();
  }

  addRefreshToken(token: string): void {
    this.refreshTokens.add(token);
  }

  revokeRefreshToken(token: string): void {
    this.refreshTokens.delete(token);
  }

  /** What the consent page would redirect with: a one-time code bound to the PKCE challenge. */
  approveConsent(codeChallenge: string | null): string {
    const code = `4/fake-code-${randomBytes(6).toString('hex')}`;
    this.authCodes.set(code, { verifier: codeChallenge });
    return code;
  }

  private make(id: string, name: string, mimeType: string, parents: string[], driveId: string | null, content: Buffer | null): FakeFile {
    this.clock += 1000;
    return { id, name, mimeType, parents, driveId, trashed: false, modifiedTime: new Date(this.clock).toISOString(), headRevisionId: content && !NO_CONTENT.has(mimeType) ? `rev-${id.slice(0, 6)}-1` : null, content, shortcutDetails: null, seq: 0 };
  }

  private insert(file: FakeFile): string {
    this.seq += 1;
    file.seq = this.seq;
    this.files.set(file.id, file);
    for (const parent of file.parents) this.childList(parent).push(file.id);
    this.record(file.id, file.driveId);
    return file.id;
  }

  private touch(id: string): void {
    const file = this.files.get(id)!;
    this.clock += 1000;
    file.modifiedTime = new Date(this.clock).toISOString();
    this.record(id, file.driveId);
  }

  private record(fileId: string, driveId: string | null): void {
    this.changes.push({ seq: this.changes.length + 1, fileId, driveId });
  }

  private childList(parent: string): string[] {
    let list = this.children.get(parent);
    if (!list) {
      list = [];
      this.children.set(parent, list);
    }
    return list;
  }

  private driveOf(parent: string): string | null {
    return this.files.get(parent)?.driveId ?? null;
  }

  // ── HTTP ────────────────────────────────────────────────────────────────────────────────────────────────────

  private authorized(req: FakeRequest, handler: () => FakeResponse): FakeResponse {
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!token || !this.accessTokens.has(token)) return googleError(401, 'authError', 'Request had invalid authentication credentials.', 'UNAUTHENTICATED');
    try {
      return handler();
    } catch (error) {
      if (error instanceof InvalidQueryError) return googleError(400, 'invalid', `Invalid Value: ${error.message}`, 'INVALID_ARGUMENT');
      throw error;
    }
  }

  private token(req: FakeRequest): FakeResponse {
    const form = new URLSearchParams(req.body.toString('utf8'));
    if (form.get('grant_type') === 'refresh_token') {
      if (!this.refreshTokens.has(form.get('refresh_token') ?? '')) {
        return { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } };
      }
      return { status: 200, body: { access_token: this.issueAccessToken(), expires_in: 3599, token_type: 'Bearer', scope: 'https://www.googleapis.com/auth/drive.readonly' } };
    }
    if (form.get('grant_type') === 'authorization_code') return this.exchangeCode(form);
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  }

  private exchangeCode(form: URLSearchParams): FakeResponse {
    const grant = this.authCodes.get(form.get('code') ?? '');
    this.authCodes.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier');
    const challenge = verifier ? createHash('sha256').update(verifier).digest('base64url') : null;
    if (!grant || grant.verifier !== challenge) return { status: 400, body: { error: 'invalid_grant', error_description: 'Bad code or verifier.' } };
    const refresh = `1//fake-refresh-${randomBytes(6).toString('hex')}`;
    this.refreshTokens.add(refresh);
    return { status: 200, body: { access_token: this.issueAccessToken(), refresh_token: refresh, expires_in: 3599, token_type: 'Bearer', scope: 'https://www.googleapis.com/auth/drive.readonly' } };
  }

  private visible(file: FakeFile, query: URLSearchParams): boolean {
    const allDrives = query.get('includeItemsFromAllDrives') === 'true' && query.get('supportsAllDrives') === 'true';
    const corpora = query.get('corpora') ?? 'user';
    if (file.id === this.rootId || this.drives.has(file.id)) return false;
    if (corpora === 'drive') return file.driveId === query.get('driveId');
    return file.driveId === null || allDrives;
  }

  private list(req: FakeRequest): FakeResponse {
    this.listCalls += 1;
    const q = req.query;
    if (q.get('corpora') === 'drive' && (!q.get('driveId') || q.get('includeItemsFromAllDrives') !== 'true' || q.get('supportsAllDrives') !== 'true')) {
      return googleError(400, 'invalid', 'corpora=drive needs driveId, includeItemsFromAllDrives=true and supportsAllDrives=true', 'INVALID_ARGUMENT');
    }
    const parsed = parseQuery(q.get('q'));
    const fields = q.get('fields') ?? '';
    const asked = Math.min(1000, Number(q.get('pageSize') ?? 100));
    const pageSize = Math.min(asked, fields.includes('permissions') ? 100 : asked, this.options.maxPageSize ?? asked);
    const key = createHash('md5').update(`${q.get('q')}|${q.get('corpora')}|${q.get('driveId')}`).digest('hex').slice(0, 8);
    const offset = decodePageToken(q.get('pageToken'), key);
    if (offset === null) return googleError(400, 'invalid', 'Invalid Value: pageToken', 'INVALID_ARGUMENT');
    const candidates = parsed.parents ? this.childrenOf(parsed.parents) : [...this.files.values()].sort((a, b) => a.seq - b.seq);
    const matching = candidates.filter((f) => this.visible(f, q) && parsed.test(f));
    this.pageCounter += 1;
    const empty = (this.options.emptyPageEvery ?? 0) > 0 && this.pageCounter % this.options.emptyPageEvery! === 0 && offset < matching.length;
    const page = empty ? [] : matching.slice(offset, offset + pageSize);
    const next = offset + page.length;
    return {
      status: 200,
      body: { kind: 'drive#fileList', incompleteSearch: false, files: page.map(resource), ...(next < matching.length ? { nextPageToken: encodePageToken(next, key) } : {}) },
    };
  }

  private childrenOf(parents: string[]): FakeFile[] {
    const seen = new Set<string>();
    const out: FakeFile[] = [];
    for (const parent of parents) {
      for (const id of this.children.get(parent) ?? []) {
        const file = this.files.get(id);
        if (file && !seen.has(id)) {
          seen.add(id);
          out.push(file);
        }
      }
    }
    return out;
  }

  private lookup(req: FakeRequest): FakeFile | FakeResponse {
    const id = req.params.id === 'root' ? this.rootId : req.params.id!;
    const file = this.files.get(id);
    if (!file || (file.driveId && req.query.get('supportsAllDrives') !== 'true')) return googleError(404, 'notFound', `File not found: ${id}.`, 'NOT_FOUND');
    return file;
  }

  private get(req: FakeRequest): FakeResponse {
    const file = this.lookup(req);
    if (!('id' in file)) return file;
    if (req.query.get('alt') !== 'media') return { status: 200, body: resource(file) };
    if (NO_CONTENT.has(file.mimeType) || !file.content) {
      return googleError(403, 'fileNotDownloadable', 'Only files with binary content can be downloaded. Use Export with Docs Editors files.', 'PERMISSION_DENIED');
    }
    const response = ranged(file.content, req.headers.range);
    if ((response.status ?? 200) < 300) this.downloaded();
    return response;
  }

  private export(req: FakeRequest): FakeResponse {
    const file = this.lookup(req);
    if (!('id' in file)) return file;
    if (file.mimeType !== GOOGLE_DOC || !file.content) return googleError(403, 'fileNotExportable', 'Export only supports Docs Editors files.', 'PERMISSION_DENIED');
    if (req.query.get('mimeType') !== 'application/pdf') return googleError(400, 'badRequest', 'Unsupported export mime type.', 'INVALID_ARGUMENT');
    if (file.content.length > (this.options.exportLimitBytes ?? 10 * 1024 * 1024)) {
      return googleError(403, 'exportSizeLimitExceeded', 'This file is too large to be exported.', 'PERMISSION_DENIED');
    }
    return { status: 200, headers: { 'content-type': 'application/pdf' }, body: file.content };
  }

  private startPageToken(): FakeResponse {
    return { status: 200, body: { kind: 'drive#startPageToken', startPageToken: String(this.changes.length + 1) } };
  }

  private listChanges(req: FakeRequest): FakeResponse {
    const from = Number(req.query.get('pageToken'));
    if (!Number.isInteger(from) || from < 1) return googleError(400, 'invalid', 'Invalid Value: pageToken', 'INVALID_ARGUMENT');
    const driveId = req.query.get('driveId');
    const pageSize = Math.min(1000, Number(req.query.get('pageSize') ?? 100));
    const relevant = this.changes.filter((c) => c.seq >= from && (driveId ? c.driveId === driveId : c.driveId === null || req.query.get('includeItemsFromAllDrives') === 'true'));
    const page = relevant.slice(0, pageSize);
    const more = relevant.length > page.length;
    const changes = page.map((c) => {
      const file = this.files.get(c.fileId);
      return { kind: 'drive#change', changeType: 'file', fileId: c.fileId, removed: !file, ...(file ? { file: resource(file) } : {}) };
    });
    const tail = more ? { nextPageToken: String(page.at(-1)!.seq + 1) } : { newStartPageToken: String(this.changes.length + 1) };
    return { status: 200, body: { kind: 'drive#changeList', changes, ...tail } };
  }
}

/** A file as Drive returns it: binary-only fields only on binary files. */
function resource(file: FakeFile): Record<string, unknown> {
  const binary = file.content !== null && !NO_CONTENT.has(file.mimeType);
  return {
    kind: 'drive#file',
    id: file.id,
    name: file.name,
    mimeType: file.mimeType,
    parents: file.parents,
    trashed: file.trashed,
    modifiedTime: file.modifiedTime,
    ...(file.driveId ? { driveId: file.driveId } : {}),
    ...(binary ? { size: String(file.content!.length), md5Checksum: createHash('md5').update(file.content!).digest('hex'), headRevisionId: file.headRevisionId } : {}),
    ...(file.shortcutDetails ? { shortcutDetails: file.shortcutDetails } : {}),
  };
}

function ranged(content: Buffer, range: string | string[] | undefined): FakeResponse {
  const match = /^bytes=(\d+)-(\d*)$/.exec(String(range ?? ''));
  if (!match) return { status: 200, headers: { 'content-type': 'application/pdf', 'accept-ranges': 'bytes' }, body: content };
  const start = Number(match[1]);
  const end = match[2] ? Math.min(Number(match[2]), content.length - 1) : content.length - 1;
  if (start >= content.length) return { status: 416, headers: { 'content-range': `bytes */${content.length}` } };
  return { status: 206, headers: { 'content-type': 'application/pdf', 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${content.length}` }, body: content.subarray(start, end + 1) };
}

export function googleError(code: number, reason: string, message: string, status: string): FakeResponse {
  return { status: code, body: { error: { code, message, errors: [{ domain: 'global', reason, message }], status } } };
}

function encodePageToken(offset: number, key: string): string {
  return Buffer.from(JSON.stringify({ o: offset, k: key })).toString('base64url');
}

function decodePageToken(token: string | null, key: string): number | null {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; k?: unknown };
    return parsed.k === key && typeof parsed.o === 'number' ? parsed.o : null;
  } catch {
    return null;
  }
}

export interface ArchiveShape {
  files: number;
  /** Case folders under the root, and year folders under each case. */
  cases?: number;
  yearsPerCase?: number;
}

/**
 * A legal archive like the one this tool is for: a root folder of case folders, each split by year, most files in
 * the year folders (uneven: 40 %, 100 %, 160 % of the mean), a few loose in the case folders and at the root.
 * Returns the root folder id. Contents are tiny; ids, names and counts are what listing cares about.
 */
export function populateArchive(fake: DriveFake, shape: ArchiveShape): string {
  const root = fake.addFolder('Custody archive', fake.rootId);
  const cases = shape.cases ?? 10;
  const years = shape.yearsPerCase ?? 7;
  let remaining = shape.files;
  const add = (name: string, parent: string): void => {
    fake.addFile(name, parent, Buffer.from(`%PDF-1.4 ${name}`));
    remaining -= 1;
  };
  for (let i = 0; i < Math.min(10, remaining); i += 1) add(`index-${i}.pdf`, root);
  const leaves: string[] = [];
  for (let c = 0; c < cases; c += 1) {
    const caseFolder = fake.addFolder(`Case ${c + 1}`, root);
    for (let i = 0; i < 5 && remaining > 0; i += 1) add(`case-${c + 1}-summary-${i}.pdf`, caseFolder);
    for (let y = 0; y < years; y += 1) leaves.push(fake.addFolder(String(2015 + y), caseFolder));
  }
  const weights = leaves.map((_, i) => [0.4, 1, 1.6][i % 3]!);
  const total = weights.reduce((a, b) => a + b, 0);
  const budget = remaining;
  leaves.forEach((leaf, i) => {
    const count = i === leaves.length - 1 ? remaining : Math.round((budget * weights[i]!) / total);
    for (let k = 0; k < count && remaining > 0; k += 1) add(`doc-${i}-${k}.pdf`, leaf);
  });
  return root;
}
