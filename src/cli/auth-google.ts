/**
 * `aseagi auth google`: authorises read-only Drive access once with an OAuth desktop client (credentials.json),
 * through Google's loopback flow with PKCE, and stores the refresh token under `data/` readable by this user only.
 * On a headless server, forward the port first (`ssh -L 8765:127.0.0.1:8765 server`, then `--port 8765`) and open
 * the printed URL in the local browser.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { CodeChallengeMethod } from 'google-auth-library';
import { AppError } from '../core/errors.js';
import { DRIVE_READONLY_SCOPE, newOAuthClient, readOAuthClient } from '../core/sources/drive/drive-auth.js';

export interface GoogleAuthOptions {
  /** The OAuth desktop client (GOOGLE_OAUTH_CLIENT). */
  clientFile: string;
  /** Where the token goes (GOOGLE_TOKEN_PATH). */
  tokenFile: string;
  /** Shows the consent URL (the CLI prints it). */
  showUrl: (url: string) => void;
  /** Loopback port; 0 = any free one. */
  port?: number;
  /** Give up waiting for the browser after this long. Default 5 minutes. */
  timeoutMs?: number;
}

export interface GoogleAuthResult {
  tokenFile: string;
  scope: string;
}

const CALLBACK_PATH = '/oauth2callback';

export async function runGoogleAuth(options: GoogleAuthOptions): Promise<GoogleAuthResult> {
  const config = readOAuthClient(options.clientFile);
  const state = randomBytes(16).toString('hex');
  const callback = new LoopbackCallback(state);
  const port = await callback.listen(options.port ?? 0);
  try {
    const redirectUri = `http://127.0.0.1:${port}${CALLBACK_PATH}`;
    const client = newOAuthClient(config, redirectUri);
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    options.showUrl(
      client.generateAuthUrl({
        access_type: 'offline',
        // Without consent Google may skip the refresh token when this client was authorised before.
        prompt: 'consent',
        scope: [DRIVE_READONLY_SCOPE],
        state,
        code_challenge_method: CodeChallengeMethod.S256,
        ...(codeChallenge ? { code_challenge: codeChallenge } : {}),
      }),
    );
    const code = await callback.code(options.timeoutMs ?? 5 * 60_000);
    const { tokens } = await client.getToken({ code, codeVerifier, redirect_uri: redirectUri });
    if (!tokens.refresh_token) {
      throw new AppError('google_auth_no_refresh_token', 'Google granted access but sent no refresh token, so access would stop within the hour.', {
        hint: 'Remove this app at https://myaccount.google.com/permissions and run `aseagi auth google` again.',
      });
    }
    writeTokenFile(options.tokenFile, { refresh_token: tokens.refresh_token, scope: tokens.scope ?? DRIVE_READONLY_SCOPE, obtained_at: new Date().toISOString() });
    return { tokenFile: options.tokenFile, scope: tokens.scope ?? DRIVE_READONLY_SCOPE };
  } finally {
    await callback.close();
  }
}

/** Readable by this user only, written whole (a crash never leaves half a token file). */
function writeTokenFile(path: string, token: Record<string, string>): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(token, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** The one-shot local HTTP server Google redirects the browser to. */
class LoopbackCallback {
  private readonly server = createServer((req, res) => this.handle(req, res));
  private settle: { resolve: (code: string) => void; reject: (error: Error) => void } | null = null;
  private result: { code: string } | { error: Error } | null = null;

  constructor(private readonly state: string) {}

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', (error) =>
        reject(new AppError('google_auth_port', `Cannot listen on 127.0.0.1:${port} for Google's answer (${error.message}).`, { hint: 'Choose another --port.' })),
      );
      this.server.listen(port, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  code(timeoutMs: number): Promise<string> {
    if (this.result) return 'code' in this.result ? Promise.resolve(this.result.code) : Promise.reject(this.result.error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new AppError('google_auth_timeout', 'No answer from Google’s consent page in time.', { hint: 'Run `aseagi auth google` again and open the URL it prints.' })), timeoutMs);
      this.settle = {
        resolve: (code) => {
          clearTimeout(timer);
          resolve(code);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== CALLBACK_PATH) {
      res.writeHead(404).end();
      return;
    }
    const outcome = this.outcomeOf(url.searchParams);
    res.writeHead('code' in outcome ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('code' in outcome ? 'ASEAGI Batch is authorised to read Google Drive. You can close this tab.' : `Authorisation failed: ${outcome.error.message}`);
    if (this.result) return;
    this.result = outcome;
    if ('code' in outcome) this.settle?.resolve(outcome.code);
    else this.settle?.reject(outcome.error);
  }

  private outcomeOf(params: URLSearchParams): { code: string } | { error: Error } {
    if (params.get('state') !== this.state) return { error: new AppError('google_auth_state', 'The answer did not come from the consent page we opened (state mismatch).') };
    const denied = params.get('error');
    if (denied) return { error: new AppError('google_auth_denied', `Google did not grant access (${denied}).`, { hint: 'Run `aseagi auth google` again and choose Allow.' }) };
    const code = params.get('code');
    return code ? { code } : { error: new AppError('google_auth_state', 'Google’s answer carried no authorisation code.') };
  }
}
