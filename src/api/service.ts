/**
 * The HTTP API as a part of `aseagi serve`: listens on HTTP_HOST:HTTP_PORT, and refuses to listen beyond this
 * machine without an API_TOKEN (the API can start paid rentals).
 */
import type { Env } from '../config.js';
import { AppError } from '../core/errors.js';
import type { ServicePartFactory } from '../serve.js';
import { createApi } from './api.js';
import { isLoopbackHost } from './auth.js';
import { apiDepsFromApp } from './deps.js';
import { packageVersion } from '../version.js';

/** Throws when the configuration would expose the API to the network without a token. */
export function assertSafeBinding(env: Pick<Env, 'HTTP_HOST' | 'API_TOKEN'>): void {
  if (env.API_TOKEN || isLoopbackHost(env.HTTP_HOST)) return;
  throw new AppError(
    'api_token_required',
    `Refusing to serve the HTTP API on ${env.HTTP_HOST} without API_TOKEN: anyone who can reach it could start paid work and read every document.`,
    { hint: 'Set API_TOKEN to a long random value (e.g. `openssl rand -hex 32`), or HTTP_HOST=127.0.0.1.' },
  );
}

/** The service part: start the server, return how to stop it. */
export const httpApiPart: ServicePartFactory = async (app) => {
  const { env } = app;
  assertSafeBinding(env);
  const api = createApi(apiDepsFromApp(app, packageVersion()), {
    token: env.API_TOKEN,
    maxBodyBytes: env.API_MAX_BODY_KB * 1024,
    corsOrigin: env.API_CORS_ORIGIN,
  });
  const url = await api.server.listen(env.HTTP_PORT, env.HTTP_HOST);
  app.logger.info({ url, docs: `${url}/docs`, auth: env.API_TOKEN ? 'bearer token' : 'none (loopback only)' }, 'HTTP API listening');
  return { name: 'http', stop: () => api.server.close() };
};
