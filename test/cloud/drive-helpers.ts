/** Shared set-up for Drive tests: the real OAuth client refreshing against the fake's token endpoint. */
import type { OAuth2Client } from 'google-auth-library';
import { newOAuthClient } from '../../src/core/sources/drive/drive-auth.js';
import { createDriveSource } from '../../src/core/sources/drive/drive-source.js';
import type { DriveSource } from '../../src/core/sources/drive/drive-source.js';
import { resolveDriveSpec } from '../../src/core/sources/drive/drive-spec.js';
import type { DriveSourceSpec } from '../../src/core/sources/drive/drive-spec.js';
import { silentLogger } from '../../src/logger.js';
import type { DriveFake } from '../fakes/drive-fake.js';

export const REFRESH_TOKEN = '1//fake-refresh-token-for-tests';

/** An OAuth client whose refresh token the fake accepts; tokens come from the fake's /token. */
export function fakeDriveAuth(fake: DriveFake, refreshToken = REFRESH_TOKEN): OAuth2Client {
  fake.addRefreshToken(refreshToken);
  const client = newOAuthClient({ clientId: 'test-client.apps.googleusercontent.com', clientSecret: 'test-secret', authUri: `${fake.http.url}/auth`, tokenUri: `${fake.http.url}/token` }, undefined);
  client.setCredentials({ refresh_token: refreshToken });
  return client;
}

export interface TestSourceOptions {
  auth?: OAuth2Client;
  delays?: number[];
  timeoutMs?: number;
}

export function driveSource(fake: DriveFake, spec: Omit<DriveSourceSpec, 'kind'>, options: TestSourceOptions = {}): DriveSource {
  return createDriveSource({
    spec: resolveDriveSpec({ kind: 'gdrive', ...spec }, { folderId: null, driveId: null, mimeTypes: ['application/pdf'], includeGoogleDocs: false }),
    auth: options.auth ?? fakeDriveAuth(fake),
    logger: silentLogger(),
    rootUrl: fake.rootUrl,
    timeoutMs: options.timeoutMs ?? 5_000,
    retry: {
      attempts: 6,
      retryPolicy: { baseMs: 1, maxMs: 5, jitter: 0 },
      sleep: (ms) => {
        options.delays?.push(ms);
        return Promise.resolve();
      },
    },
  });
}

export async function listAll(source: DriveSource, maxDocuments?: number) {
  const docs = [];
  for await (const doc of source.list({ maxDocuments })) docs.push(doc);
  return docs;
}
