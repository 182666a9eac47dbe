/** Drive settings from the configuration, in one place for the app, the API and the doctor. */
import { resolve } from 'node:path';
import type { Env } from '../../../config.js';
import type { DriveAuthSettings } from './drive-auth.js';

/** Drive is configured when credentials are: a service account key, or an OAuth client (`aseagi auth google`). */
export function driveConfigured(env: Env): boolean {
  return env.GOOGLE_APPLICATION_CREDENTIALS !== undefined || env.GOOGLE_OAUTH_CLIENT !== undefined;
}

export function driveAuthSettings(env: Env): DriveAuthSettings {
  return {
    credentialsFile: env.GOOGLE_APPLICATION_CREDENTIALS,
    oauthClientFile: env.GOOGLE_OAUTH_CLIENT,
    tokenFile: resolve(env.GOOGLE_TOKEN_PATH),
  };
}
