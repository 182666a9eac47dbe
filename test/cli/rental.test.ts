/** The CLI rents nothing without `--yes --max-cost`, and with them confirms the best offer under the person's cap. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmFromFlags, needsConfirmation } from '../../src/cli/rental.js';
import { loadConfig } from '../../src/config.js';
import { getSession } from '../../src/core/store/sessions.js';
import { silentLogger } from '../../src/logger.js';
import { createApp } from '../../src/main.js';
import type { App } from '../../src/main.js';
import { createRentalCompute } from '../bot/rental-compute.js';
import type { RentalTestCompute } from '../bot/rental-compute.js';
import { writeTinyPdfs } from '../helpers/tiny-pdfs.js';

let dir: string;
let app: App;
let compute: RentalTestCompute;
let folder: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aseagi-cli-rental-'));
  folder = join(dir, 'docs');
  await writeTinyPdfs(folder, 6);
  const env = loadConfig({ env: { OCR_ENGINE: 'none', BATCH_SIZE: '3' }, dotenvPath: false });
  compute = createRentalCompute(env, silentLogger());
  app = createApp(env, silentLogger(), { dbPath: join(dir, 'rental.db'), compute });
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CLI rental confirmation', () => {
  it('without --yes --max-cost: shows the offers and the command to agree, rents nothing', async () => {
    const id = await app.engine.plan({ source: { kind: 'local', path: folder }, requestedBy: 'cli' });
    const lines: string[] = [];
    expect(needsConfirmation(app, id)).toBe(true);
    expect(await confirmFromFlags(app, id, { yes: true }, (l) => lines.push(l))).toBe(false);
    const text = lines.join('\n');
    expect(text).toContain('RTX 3090');
    expect(text).toContain('Nothing has been rented');
    expect(text).toMatch(new RegExp(`aseagi resume ${id} --yes --max-cost \\d+`));
    expect(getSession(app.store.db, id)?.confirmation_json).toBeNull();
    expect(compute.opened).toHaveLength(0);
    await expect(app.engine.run(id)).rejects.toMatchObject({ code: 'confirmation_required' });
  });

  it('with --yes --max-cost: confirms the best-value offer under that cap, and the session runs', async () => {
    const id = await app.engine.plan({ source: { kind: 'local', path: folder }, requestedBy: 'cli' });
    const lines: string[] = [];
    expect(await confirmFromFlags(app, id, { yes: true, maxCost: 7 }, (l) => lines.push(l))).toBe(true);
    const session = getSession(app.store.db, id)!;
    expect(session.budget_usd).toBe(7);
    const confirmation = JSON.parse(session.confirmation_json!) as { by: string; offers: { id: string; pricePerHour: number }[] };
    expect(confirmation).toMatchObject({ by: 'cli', offers: [{ id: compute.offers[0]!.id }] });
    expect(lines.at(-1)).toMatch(/Confirmed: .* budget cap \$7\.00/);
    expect(needsConfirmation(app, id)).toBe(false);
    const view = await app.engine.run(id);
    expect(view).toMatchObject({ status: 'completed', done: 6 });
  });
});
