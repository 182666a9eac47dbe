import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriveClient } from '../../src/core/sources/drive/drive-api.js';
import { changesTokenKey, syncDriveChanges } from '../../src/core/sources/drive/drive-changes.js';
import { resolveDriveSpec } from '../../src/core/sources/drive/drive-spec.js';
import type { ResolvedDriveSpec } from '../../src/core/sources/drive/drive-spec.js';
import { openDatabase } from '../../src/core/store/database.js';
import type { OpenedDatabase } from '../../src/core/store/database.js';
import { getValue } from '../../src/core/store/kv.js';
import { silentLogger } from '../../src/logger.js';
import { DriveFake } from '../fakes/drive-fake.js';
import { fakeDriveAuth } from './drive-helpers.js';

let fake: DriveFake;
let dir: string;
let store: OpenedDatabase;

beforeEach(async () => {
  fake = await new DriveFake().start();
  dir = mkdtempSync(join(tmpdir(), 'drive-changes-'));
  store = openDatabase(join(dir, 'test.db'));
});
afterEach(async () => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
  await fake.stop();
});

function spec(folderId: string | null, driveId: string | null = null): ResolvedDriveSpec {
  return resolveDriveSpec({ kind: 'gdrive', folderId, driveId }, { folderId: null, driveId: null, mimeTypes: ['application/pdf'], includeGoogleDocs: false });
}

function client(): DriveClient {
  return new DriveClient({ auth: fakeDriveAuth(fake), rootUrl: fake.rootUrl, logger: silentLogger(), retryPolicy: { baseMs: 1, maxMs: 2, jitter: 0 } });
}

describe('syncDriveChanges (nightly re-sync)', () => {
  it('first records a start token, then reports what changed under the root only, and moves the token on', async () => {
    const cases = fake.addFolder('Cases', fake.rootId);
    const sub = fake.addFolder('2025', cases);
    const existing = fake.addFile('existing.pdf', sub);
    const doomed = fake.addFile('doomed.pdf', cases);
    const s = spec(cases);
    const drive = client();
    const first = await syncDriveChanges({ db: store.db, client: drive, spec: s, now: 1 });
    expect(first).toMatchObject({ initialised: true, changed: [], removed: [] });
    const token = getValue(store.db, changesTokenKey(s));
    expect(token).toBeTruthy();

    const added = fake.addFile('new motion.pdf', sub);
    fake.modify(existing, Buffer.from('%PDF-1.4 edited'));
    fake.addFile('holiday.pdf', fake.addFolder('Personal', fake.rootId));
    fake.addFile('notes.txt', cases, Buffer.from('x'), 'text/plain');
    fake.remove(doomed);
    const second = await syncDriveChanges({ db: store.db, client: drive, spec: s, now: 2 });
    expect(second.initialised).toBe(false);
    expect(second.changed.map((d) => d.sourceId).sort()).toEqual([added, existing].sort());
    expect(second.changed.find((d) => d.sourceId === existing)!.checksum).toMatch(/^md5:/);
    expect(second.removed).toContain(doomed);
    expect(second.calls).toBe(1);
    expect(getValue(store.db, changesTokenKey(s))).not.toBe(token);

    const third = await syncDriveChanges({ db: store.db, client: drive, spec: s, now: 3 });
    expect(third).toMatchObject({ changed: [], removed: [], changedFolders: [] });
  });

  it('keeps the old token when a page fails, so the same changes come back next time', async () => {
    const cases = fake.addFolder('Cases', fake.rootId);
    const s = spec(cases);
    const drive = new DriveClient({ auth: fakeDriveAuth(fake), rootUrl: fake.rootUrl, logger: silentLogger(), attempts: 1 });
    await syncDriveChanges({ db: store.db, client: drive, spec: s, now: 1 });
    const token = getValue(store.db, changesTokenKey(s));
    const added = fake.addFile('late.pdf', cases);
    fake.http.inject({ kind: 'status', status: 500, match: { path: /\/changes$/ } });
    await expect(syncDriveChanges({ db: store.db, client: drive, spec: s, now: 2 })).rejects.toMatchObject({ code: 'drive_failed' });
    expect(getValue(store.db, changesTokenKey(s))).toBe(token);
    const retry = await syncDriveChanges({ db: store.db, client: drive, spec: s, now: 3 });
    expect(retry.changed.map((d) => d.sourceId)).toEqual([added]);
  });

  it('scopes a whole shared drive by its drive id and reports changed folders', async () => {
    const drive = fake.addSharedDrive('Team');
    const s = spec(null, drive);
    const c = client();
    await syncDriveChanges({ db: store.db, client: c, spec: s, now: 1 });
    const folder = fake.addFolder('New box', drive);
    const file = fake.addFile('scan.pdf', folder);
    fake.addFile('mine.pdf', fake.rootId);
    const result = await syncDriveChanges({ db: store.db, client: c, spec: s, now: 2 });
    expect(result.changed.map((d) => d.sourceId)).toEqual([file]);
    expect(result.changedFolders).toEqual([folder]);
  });
});
