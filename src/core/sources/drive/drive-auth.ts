/**
 * Google credentials for Drive, read-only. Either a service account (`GOOGLE_APPLICATION_CREDENTIALS`; it sees
 * what is shared with it) or an OAuth desktop client (`GOOGLE_OAUTH_CLIENT`, credentials.json) authorised once
 * with `aseagi auth google`, whose refresh token is stored under `data/` with 0600 permissions. The orchestrator
 * keeps these; workers only ever get a short-lived access token.
 */
import { readFileSync } from 'node:fs';
import { JWT, OAuth2Client } from 'google-auth-library';
import { AppError } from '../../errors.js';

export const DRIVE_READONLY_SCOPE = 'https://www.googleapis.com/auth/drive.readonly';

/**
 * A token handed to a worker must outlive a long batch: refresh whenever less than this is left (access tokens
 * live about an hour, so a worker always gets at least 45 minutes).
 */
export const MIN_TOKEN_LIFETIME_MS = 45 * 60_000;

export interface DriveAuthSettings {
  /** A service account key (JSON), or gcloud's `authorized_user` file. */
  credentialsFile?: string | undefined;
  /** An OAuth client of type "Desktop app" (credentials.json from the Google Cloud console). */
  oauthClientFile?: string | undefined;
  /** Where `aseagi auth google` stored the user's refresh token. */
  tokenFile: string;
}

/** The parts of credentials.json we use (`installed` for desktop clients, `web` accepted too). */
export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
  authUri: string;
  tokenUri: string;
}

interface StoredToken {
  refresh_token?: string;
  access_token?: string;
  expiry_date?: number;
  scope?: string;
}

/** Builds the auth client from configuration; throws an {@link AppError} saying what to set when nothing is. */
export function createDriveAuth(settings: DriveAuthSettings): OAuth2Client {
  if (settings.credentialsFile) return fromCredentialsFile(settings.credentialsFile);
  if (settings.oauthClientFile) return fromOAuthClient(readOAuthClient(settings.oauthClientFile), settings.tokenFile);
  throw new AppError('drive_not_configured', 'Google Drive is not configured.', {
    hint: 'Set GOOGLE_APPLICATION_CREDENTIALS to a service account key, or GOOGLE_OAUTH_CLIENT to credentials.json and run `aseagi auth google` (docs/cloud.md).',
  });
}

function fromCredentialsFile(path: string): OAuth2Client {
  const json = readJson(path, 'GOOGLE_APPLICATION_CREDENTIALS') as Record<string, string | undefined>;
  if (json.type === 'service_account' && json.client_email && json.private_key) {
    return new JWT({ email: json.client_email, key: json.private_key, scopes: [DRIVE_READONLY_SCOPE], eagerRefreshThresholdMillis: MIN_TOKEN_LIFETIME_MS });
  }
  if (json.type === 'authorized_user' && json.client_id && json.client_secret && json.refresh_token) {
    const client = new OAuth2Client({ clientId: json.client_id, clientSecret: json.client_secret, eagerRefreshThresholdMillis: MIN_TOKEN_LIFETIME_MS });
    client.setCredentials({ refresh_token: json.refresh_token });
    return client;
  }
  throw new AppError('drive_credentials_invalid', `${path} is not a service account key (type "service_account" with client_email and private_key).`, {
    hint: 'Download a JSON key for the service account in the Google Cloud console (IAM → Service accounts → Keys).',
  });
}

/** A desktop OAuth client plus the refresh token `aseagi auth google` stored. */
export function fromOAuthClient(config: OAuthClientConfig, tokenFile: string): OAuth2Client {
  const token = readStoredToken(tokenFile);
  if (!token?.refresh_token) {
    throw new AppError('google_auth_missing', 'Google Drive access has not been authorised on this machine yet.', {
      hint: 'Run `aseagi auth google` once (it opens Google’s consent page and stores the token).',
    });
  }
  const client = newOAuthClient(config, undefined);
  client.setCredentials({ refresh_token: token.refresh_token });
  return client;
}

export function newOAuthClient(config: OAuthClientConfig, redirectUri: string | undefined): OAuth2Client {
  return new OAuth2Client({
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    ...(redirectUri ? { redirectUri } : {}),
    eagerRefreshThresholdMillis: MIN_TOKEN_LIFETIME_MS,
    // credentials.json names the endpoints; honouring them also lets tests point the real client at a fake.
    endpoints: { oauth2TokenUrl: config.tokenUri, oauth2AuthBaseUrl: config.authUri },
  });
}

export function readOAuthClient(path: string): OAuthClientConfig {
  const json = readJson(path, 'GOOGLE_OAUTH_CLIENT') as Record<string, Record<string, string> | undefined>;
  const entry = json.installed ?? json.web;
  if (!entry?.client_id || !entry.client_secret) {
    throw new AppError('google_oauth_client_invalid', `${path} is not an OAuth client file (no "installed" client id and secret).`, {
      hint: 'Create an OAuth client ID of type "Desktop app" in the Google Cloud console and download its JSON.',
    });
  }
  return {
    clientId: entry.client_id,
    clientSecret: entry.client_secret,
    authUri: entry.auth_uri ?? 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUri: entry.token_uri ?? 'https://oauth2.googleapis.com/token',
  };
}

function readStoredToken(path: string): StoredToken | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StoredToken;
  } catch {
    return null;
  }
}

function readJson(path: string, variable: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AppError('drive_credentials_missing', `Cannot read ${path} (${variable}): ${(error as Error).message}.`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('drive_credentials_invalid', `${path} (${variable}) is not valid JSON.`, { cause: error });
  }
}

/** The secret values in the configured credential files, for the logger to mask. Never throws. */
export function driveAuthSecrets(settings: DriveAuthSettings): string[] {
  const values: unknown[] = [];
  const read = (path: string | undefined): Record<string, unknown> => {
    try {
      return path ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const credentials = read(settings.credentialsFile);
  values.push(credentials.private_key, credentials.client_secret, credentials.refresh_token);
  const client = read(settings.oauthClientFile) as Record<string, Record<string, unknown> | undefined>;
  values.push((client.installed ?? client.web)?.client_secret);
  const token = read(settings.tokenFile);
  values.push(token.refresh_token, token.access_token);
  return values.filter((v): v is string => typeof v === 'string' && v.length >= 8);
}

/**
 * A short-lived read-only access token for workers, with at least {@link MIN_TOKEN_LIFETIME_MS} left.
 * Never a refresh token or a key.
 */
export async function mintAccessToken(auth: OAuth2Client): Promise<string> {
  try {
    const { token } = await auth.getAccessToken();
    if (!token) throw new Error('Google returned no access token');
    return token;
  } catch (error) {
    throw authFailure(error) ?? new AppError('drive_auth_failed', `Could not get a Google access token: ${(error as Error).message}`, { cause: error });
  }
}

const OAUTH_FAILURES = /\b(invalid_grant|unauthorized_client|invalid_client)\b/;

/** Google refusing our stored authorisation, as a message that says what to do; null for other errors. */
export function authFailure(error: unknown): AppError | null {
  const data = (error as { response?: { data?: { error?: unknown; error_description?: unknown } } }).response?.data;
  const named = typeof data?.error === 'string' ? data.error : String((error as Error)?.message);
  const code = OAUTH_FAILURES.exec(named)?.[0];
  if (!code) return null;
  const detail = typeof data?.error_description === 'string' ? ` (${data.error_description})` : '';
  if (code === 'invalid_grant') {
    return new AppError('google_auth_expired', `Google no longer accepts the stored Drive authorisation${detail}.`, {
      hint: 'Run `aseagi auth google` again. OAuth apps left in "Testing" status get refresh tokens that expire after 7 days: publish the app, or use a service account (docs/cloud.md).',
      cause: error,
    });
  }
  return new AppError('google_auth_invalid', `Google rejected the OAuth client (${code})${detail}.`, {
    hint: 'Check GOOGLE_OAUTH_CLIENT / GOOGLE_APPLICATION_CREDENTIALS point at current credentials (docs/cloud.md).',
    cause: error,
  });
}
