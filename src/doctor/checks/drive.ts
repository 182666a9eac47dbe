/**
 * Google Drive: the credentials give an access token, and the configured folder (else My Drive) can be read —
 * one `files.get`, through the Drive adapter's own auth and client, so the check fails where sessions would.
 */
import type { OAuth2Client } from 'google-auth-library';
import type { Env } from '../../config.js';
import type { EngineLogger } from '../../core/engine/types.js';
import { DriveClient } from '../../core/sources/drive/drive-api.js';
import { createDriveAuth } from '../../core/sources/drive/drive-auth.js';
import { FOLDER_MIME } from '../../core/sources/drive/drive-spec.js';
import { driveAuthSettings, driveConfigured } from '../../core/sources/drive/drive-config.js';
import { ok, off, problem } from '../types.js';
import type { DoctorCheck } from '../types.js';

export interface DriveCheckOptions {
  logger: EngineLogger;
  timeoutMs: number;
  /** The auth client; default: built from the configuration by the Drive adapter. */
  auth?: () => OAuth2Client;
}

export function driveCheck(env: Env, options: DriveCheckOptions): DoctorCheck {
  return {
    name: 'Google Drive',
    run: async (signal) => {
      if (!driveConfigured(env)) return off('Not configured: documents come from a local folder.', 'Set GOOGLE_APPLICATION_CREDENTIALS (service account) or GOOGLE_OAUTH_CLIENT (docs/cloud.md).');
      const auth = options.auth ? options.auth() : createDriveAuth(driveAuthSettings(env));
      const client = new DriveClient({ auth, rootUrl: env.GOOGLE_API_ROOT_URL, timeoutMs: options.timeoutMs, attempts: 1, logger: options.logger });
      const folderId = env.DRIVE_FOLDER_ID ?? 'root';
      const what = env.DRIVE_FOLDER_ID ? `folder ${folderId} (DRIVE_FOLDER_ID)` : 'My Drive';
      const file = await client.call(
        'get',
        what,
        () => client.api.files.get({ fileId: folderId, fields: 'id,name,mimeType,driveId', supportsAllDrives: true }, { signal }),
        signal,
      );
      if (file.mimeType !== FOLDER_MIME) {
        return problem(`${what} is a file (${file.mimeType ?? 'unknown type'}), not a folder.`, 'Set DRIVE_FOLDER_ID to the id in the folder\'s URL (…/folders/<id>).');
      }
      return ok(`Credentials work; ${what} "${file.name ?? ''}" is readable${file.driveId ? ` (shared drive ${file.driveId})` : ''}.`);
    },
  };
}
