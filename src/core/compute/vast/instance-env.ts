/**
 * The environment a rented instance starts with. A rented host is a stranger's machine: it gets its own worker
 * token, worker settings and the port mapping — never an account-wide secret (the ASEAGI original shipped the
 * Supabase and Claude keys there). The check is structural (an allow-list of names) and by value (nothing equal
 * to, or containing, a secret this process knows).
 */
import { AppError } from '../../errors.js';
import { maskSecrets } from '../../../logger.js';

/** Names a worker may receive: its own settings. Anything else is refused, whatever its value. */
const ALLOWED = /^(WORKER_[A-Z_]+|OCR_[A-Z_]+|LOG_LEVEL)$/;
/** Vast's docker-flag form of a port mapping: `"-p 8080:8080": "1"`. */
const PORT_MAPPING = /^-p \d{1,5}:\d{1,5}(\/tcp)?$/;
/**
 * Env keys that name a secret whatever the allow-list says (e.g. OCR_VLM_API_KEY: a hosted model's key is an account
 * secret; a vLLM on the rented machine itself needs none).
 */
const SECRET_NAME = /(API_KEY|SECRET|PASSWORD|SERVICE_ROLE|ANTHROPIC|SUPABASE|CLAUDE|VAST_AI|TELEGRAM)/;

export interface InstanceEnvInput {
  workerId: string;
  token: string;
  /** The worker's own seal key (src/protocol/sealed.ts), like its token minted for this machine only. */
  sealKey: string;
  port: number;
  /** Worker settings from configuration (OCR_ENGINE, OCR_LANGS, LOG_LEVEL…). */
  settings: Record<string, string>;
}

export function portMappingKey(port: number): string {
  return `-p ${port}:${port}`;
}

export function buildInstanceEnv(input: InstanceEnvInput, secrets: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {
    ...input.settings,
    WORKER_ID: input.workerId,
    WORKER_TOKEN: input.token,
    WORKER_SEAL_KEY: input.sealKey,
    WORKER_HOST: '0.0.0.0',
    WORKER_PORT: String(input.port),
    [portMappingKey(input.port)]: '1',
  };
  assertSafeInstanceEnv(env, secrets, [input.token, input.sealKey]);
  return env;
}

/**
 * Refuses an env that names anything but worker settings, or that carries a known secret's value. `own` are the
 * machine's own token and seal key, the secrets that must be there. Vast caps each value at 256 characters.
 */
export function assertSafeInstanceEnv(env: Record<string, string>, secrets: readonly string[], own: string | readonly string[]): void {
  const ownValues = typeof own === 'string' ? [own] : own;
  for (const [name, value] of Object.entries(env)) {
    if (PORT_MAPPING.test(name)) continue;
    if (!ALLOWED.test(name) || SECRET_NAME.test(name)) {
      throw new AppError('vast_env_refused', `Refusing to send "${name}" to a rented machine: only worker settings may go there.`);
    }
    if (value.length > 256) throw new AppError('vast_env_refused', `The worker setting ${name} is longer than Vast allows (256 characters).`);
    if (ownValues.includes(value)) continue;
    const leaks = secrets.some((secret) => secret.length >= 8 && value.includes(secret)) || maskSecrets(value) !== value;
    if (leaks) throw new AppError('vast_env_refused', `Refusing to send ${name} to a rented machine: its value is a secret of this installation.`);
  }
}
