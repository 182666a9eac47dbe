import { afterEach, describe, expect, it } from 'vitest';
import { measureDriveListing } from '../../bench/drive-listing.js';
import { DriveFake } from '../fakes/drive-fake.js';
import { driveSource } from './drive-helpers.js';

let fake: DriveFake | null = null;
afterEach(async () => {
  await fake?.stop();
  fake = null;
});

describe('Drive listing at scale', () => {
  it('lists 70,000 files in nested folders with at most 75 files.list calls, each file once', async () => {
    const m = await measureDriveListing(70_000);
    expect(m.listed).toBe(70_000);
    expect(m.listCalls).toBeLessThanOrEqual(75);
    // 70 full pages is the floor: anything near it means pages are being filled.
    expect(m.listCalls).toBeGreaterThanOrEqual(70);
  }, 120_000);

  it('lists a whole 70,000-file shared drive in 70 calls (one query over the drive)', async () => {
    fake = await new DriveFake().start();
    const drive = fake.addSharedDrive('Archive');
    const folders = Array.from({ length: 35 }, (_, i) => fake!.addFolder(`box-${i}`, drive));
    for (let i = 0; i < 70_000; i += 1) fake.addFile(`scan-${i}.pdf`, folders[i % folders.length]!, Buffer.from(`%PDF ${i}`));
    const source = driveSource(fake, { driveId: drive });
    const seen = new Set<string>();
    for await (const doc of source.list({})) seen.add(doc.sourceId);
    expect(seen.size).toBe(70_000);
    expect(fake.listCalls).toBe(70);
  }, 120_000);
});
