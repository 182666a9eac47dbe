import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { fetchUrlToFile } from '../../src/gpu-worker/fetch/url-fetch.js';
import { DriveFake, FOLDER } from '../fakes/drive-fake.js';
import { REFRESH_TOKEN, driveSource, fakeDriveAuth, listAll } from './drive-helpers.js';

let fake: DriveFake;

beforeEach(async () => {
  fake = await new DriveFake().start();
});
afterEach(async () => {
  await fake.stop();
});

/** Cases/ (2 PDFs, a PNG, a trashed PDF) → 2024/ (1 PDF) → hearing/ (1 PDF), plus an unrelated folder elsewhere. */
function caseTree() {
  const cases = fake.addFolder('Cases', fake.rootId);
  const y2024 = fake.addFolder('2024', cases);
  const hearing = fake.addFolder('hearing', y2024);
  const ids = {
    cases,
    y2024,
    hearing,
    order: fake.addFile('order.pdf', cases),
    motion: fake.addFile('motion.pdf', cases),
    photo: fake.addFile('photo.png', cases, Buffer.from('\x89PNG fake'), 'image/png'),
    trashed: fake.addFile('old draft.pdf', cases),
    declaration: fake.addFile('declaration.pdf', y2024),
    transcript: fake.addFile('transcript.pdf', hearing),
    elsewhere: fake.addFile('unrelated.pdf', fake.addFolder('Personal', fake.rootId)),
  };
  fake.trash(ids.trashed);
  return ids;
}

describe('Drive source: listing', () => {
  it('walks the folder tree, skipping trashed files and unwanted types, with paths, md5 checksums and sizes', async () => {
    const ids = caseTree();
    const source = driveSource(fake, { folderId: ids.cases });
    const docs = await listAll(source);
    expect(docs.map((d) => d.name).sort()).toEqual(['2024/declaration.pdf', '2024/hearing/transcript.pdf', 'motion.pdf', 'order.pdf']);
    const order = docs.find((d) => d.sourceId === ids.order)!;
    expect(order).toMatchObject({ mimeType: 'application/pdf', sizeBytes: '%PDF-1.4 order.pdf'.length });
    expect(order.checksum).toMatch(/^md5:[0-9a-f]{32}$/);
    expect(source.key).toBe('gdrive');
    // Minimal fields, never permissions, trashed excluded in the query itself, 1,000 per page.
    const lists = fake.http.requestsTo('GET', /^\/drive\/v3\/files$/);
    for (const request of lists) {
      const query = new URLSearchParams(request.query);
      expect(query.get('fields')).not.toMatch(/permissions/);
      expect(query.get('q')).toContain('trashed = false');
      expect(query.get('pageSize')).toBe('1000');
    }
  });

  it('puts several folders in one query: a three-level tree costs three list calls', async () => {
    const ids = caseTree();
    await listAll(driveSource(fake, { folderId: ids.cases }));
    expect(fake.listCalls).toBe(3);
    const second = new URLSearchParams(fake.http.requestsTo('GET', /^\/drive\/v3\/files$/)[1]!.query).get('q')!;
    expect(second).toContain(`'${ids.y2024}' in parents`);
  });

  it('lists every supported type when mimeTypes is null, and Google Docs only when asked', async () => {
    const ids = caseTree();
    const doc = fake.addGoogleDoc('Custody notes', ids.cases, Buffer.from('%PDF-1.4 exported'));
    expect((await listAll(driveSource(fake, { folderId: ids.cases, mimeTypes: null }))).some((d) => d.sourceId === ids.photo)).toBe(true);
    expect((await listAll(driveSource(fake, { folderId: ids.cases }))).some((d) => d.sourceId === doc)).toBe(false);
    const withDocs = await listAll(driveSource(fake, { folderId: ids.cases, includeGoogleDocs: true }));
    const listed = withDocs.find((d) => d.sourceId === doc)!;
    expect(listed).toMatchObject({ mimeType: 'application/vnd.google-apps.document', sizeBytes: null });
    expect(listed.checksum).toMatch(/^modified:2026-/);
  });

  it('resolves shortcuts: once per target, into folders, across drives; dangling and trashed targets skipped', async () => {
    const ids = caseTree();
    const outside = fake.addFile('outside.pdf', fake.addFolder('Other', fake.rootId));
    const gone = fake.addFile('gone.pdf', fake.rootId);
    const trashedTarget = fake.addFile('trashed-target.pdf', fake.rootId);
    const sharedFolder = fake.addFolder('Shared exhibits', fake.addSharedDrive('Legal team'));
    const exhibit = fake.addFile('exhibit A.pdf', sharedFolder);
    fake.addShortcut('order (shortcut)', ids.hearing, ids.order);
    fake.addShortcut('outside (shortcut)', ids.cases, outside);
    fake.addShortcut('another outside', ids.y2024, outside);
    fake.addShortcut('gone (shortcut)', ids.cases, gone);
    fake.addShortcut('trashed (shortcut)', ids.cases, trashedTarget);
    fake.addShortcut('exhibits', ids.cases, sharedFolder);
    fake.addShortcut('loop back up', ids.hearing, ids.cases);
    fake.remove(gone);
    fake.trash(trashedTarget);
    const source = driveSource(fake, { folderId: ids.cases });
    const docs = await listAll(source);
    const ids2 = docs.map((d) => d.sourceId);
    expect(new Set(ids2).size).toBe(ids2.length);
    expect(ids2).toEqual(expect.arrayContaining([ids.order, outside, exhibit]));
    expect(ids2).not.toContain(gone);
    expect(ids2).not.toContain(trashedTarget);
    expect(docs.find((d) => d.sourceId === exhibit)!.name).toBe('exhibits/exhibit A.pdf');
    expect(docs).toHaveLength(6);
    // Resolved: the outside file and the shared folder; skipped: the deleted and the trashed targets; the shortcut
    // to the listed order, the second one to the outside file and the loop back up are duplicates.
    expect(source.walkStats).toMatchObject({ shortcutsResolved: 2, shortcutsSkipped: 2, duplicates: 3 });
  });

  it('lists a whole shared drive in one query over the drive, and a folder inside it', async () => {
    const drive = fake.addSharedDrive('Legal team');
    const folder = fake.addFolder('Depositions', drive);
    for (let i = 0; i < 5; i += 1) fake.addFile(`dep-${i}.pdf`, folder);
    fake.addFile('top.pdf', drive);
    fake.addFile('mine.pdf', fake.rootId);
    const whole = await listAll(driveSource(fake, { driveId: drive }));
    expect(whole).toHaveLength(6);
    expect(fake.listCalls).toBe(1);
    const query = new URLSearchParams(fake.http.requestsTo('GET', /^\/drive\/v3\/files$/)[0]!.query);
    expect(Object.fromEntries(['corpora', 'driveId', 'includeItemsFromAllDrives', 'supportsAllDrives'].map((k) => [k, query.get(k)]))).toEqual({
      corpora: 'drive',
      driveId: drive,
      includeItemsFromAllDrives: 'true',
      supportsAllDrives: 'true',
    });
    expect(await listAll(driveSource(fake, { driveId: drive, folderId: folder }))).toHaveLength(5);
  });

  it('follows short and empty pages to the end', async () => {
    await fake.stop();
    fake = await new DriveFake({ maxPageSize: 7, emptyPageEvery: 3 }).start();
    const folder = fake.addFolder('Big', fake.rootId);
    for (let i = 0; i < 40; i += 1) fake.addFile(`doc-${i}.pdf`, folder);
    const docs = await listAll(driveSource(fake, { folderId: folder }));
    expect(docs).toHaveLength(40);
    expect(fake.listCalls).toBeGreaterThan(6);
  });

  it('stops listing (and calling Drive) at maxDocuments', async () => {
    const folder = fake.addFolder('Big', fake.rootId);
    for (let i = 0; i < 30; i += 1) fake.addFolder(`sub-${i}`, folder);
    for (let i = 0; i < 5; i += 1) fake.addFile(`doc-${i}.pdf`, folder);
    const docs = await listAll(driveSource(fake, { folderId: folder }), 3);
    expect(docs).toHaveLength(3);
    expect(fake.listCalls).toBe(1);
  });
});

describe('Drive source: faults and errors', () => {
  it('retries 429 (honouring retry-after), 5xx, 403 rate limits and hangs, then completes the listing', async () => {
    const ids = caseTree();
    const delays: number[] = [];
    fake.http.inject({ kind: 'rate_limit', retryAfterSeconds: 2, match: { path: /^\/drive\/v3\/files$/ } });
    fake.http.inject({ kind: 'status', status: 503, match: { path: /^\/drive\/v3\/files$/ } });
    fake.http.inject({ kind: 'status', status: 403, body: { error: { code: 403, message: 'User rate limit exceeded', errors: [{ reason: 'userRateLimitExceeded' }] } }, match: { path: /^\/drive\/v3\/files$/ } });
    fake.http.inject({ kind: 'hang', match: { path: /^\/drive\/v3\/files$/ } });
    const source = driveSource(fake, { folderId: ids.cases }, { delays, timeoutMs: 300 });
    const docs = await listAll(source);
    expect(docs).toHaveLength(4);
    expect(delays[0]).toBe(2_000);
    expect(source.calls.retries).toBe(4);
    expect(fake.http.requestsTo('GET', /^\/drive\/v3\/files$/).map((r) => r.fault).slice(0, 5)).toEqual(['rate_limit', 'status', 'status', 'hang', null]);
  });

  it('does not retry a plain 403, and names the folder that is missing or not shared', async () => {
    const ids = caseTree();
    fake.http.inject({ kind: 'status', status: 403, body: { error: { code: 403, message: 'The user does not have sufficient permissions', errors: [{ reason: 'insufficientFilePermissions' }] } }, match: { path: /^\/drive\/v3\/files$/ } });
    const delays: number[] = [];
    await expect(listAll(driveSource(fake, { folderId: ids.cases }, { delays }))).rejects.toMatchObject({ code: 'drive_forbidden' });
    expect(delays).toEqual([]);
    const missing = await listAll(driveSource(fake, { folderId: 'no-such-folder' })).then(() => null, (e: unknown) => e);
    expect(missing).toBeInstanceOf(AppError);
    expect(missing).toMatchObject({ code: 'drive_not_found', message: expect.stringContaining('no-such-folder') });
    await expect(listAll(driveSource(fake, { folderId: ids.order }))).rejects.toMatchObject({ code: 'drive_not_a_folder' });
  });

  it('turns a revoked refresh token into a message telling the user to authorise again', async () => {
    const ids = caseTree();
    const auth = fakeDriveAuth(fake, '1//soon-revoked');
    fake.revokeRefreshToken('1//soon-revoked');
    const error = await listAll(driveSource(fake, { folderId: ids.cases }, { auth })).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'google_auth_expired' });
    expect((error as AppError).hint).toMatch(/aseagi auth google.*7 days/s);
  });
});

describe('Drive source: locate', () => {
  it('hands workers per-batch download URLs with a short-lived access token, never the refresh token', async () => {
    const ids = caseTree();
    const pdf = Buffer.from('%PDF-1.4 exported custody notes');
    const doc = fake.addGoogleDoc('Custody notes', ids.cases, pdf);
    const source = driveSource(fake, { folderId: ids.cases, includeGoogleDocs: true });
    const docs = await listAll(source);
    const locations = await source.locate(docs, { sharesFileSystem: false });
    expect(locations).toHaveLength(docs.length);
    const serialised = JSON.stringify(locations);
    expect(serialised).not.toContain(REFRESH_TOKEN);
    expect(serialised).not.toContain('test-secret');
    const dir = mkdtempSync(join(tmpdir(), 'drive-locate-'));
    try {
      for (const [i, location] of locations.entries()) {
        expect(location.kind).toBe('url');
        if (location.kind !== 'url') continue;
        expect(location.headers?.authorization).toMatch(/^Bearer ya29\./);
        const file = await fetchUrlToFile(location, { maxBytes: 1_000_000, tempDir: dir });
        const expected = docs[i]!.sourceId === doc ? pdf : fake.files.get(docs[i]!.sourceId)!.content!;
        expect(readFileSync(file.path).equals(expected)).toBe(true);
        await file.cleanup();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(locations.find((_, i) => docs[i]!.sourceId === doc)).toMatchObject({ url: expect.stringContaining(`/files/${doc}/export?mimeType=application%2Fpdf`) });
  });

  it('a file deleted after listing is not_found for the worker', async () => {
    const ids = caseTree();
    const source = driveSource(fake, { folderId: ids.cases });
    const docs = await listAll(source);
    const [location] = await source.locate([docs[0]!], { sharesFileSystem: false });
    fake.remove(docs[0]!.sourceId);
    const dir = mkdtempSync(join(tmpdir(), 'drive-locate-'));
    try {
      await expect(fetchUrlToFile(location as { url: string }, { maxBytes: 1_000, tempDir: dir })).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(FOLDER).toBe('application/vnd.google-apps.folder');
  });
});
