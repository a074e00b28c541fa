import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HonestSample, type HostileSample, makeHonestTrickySamples, makeHostileCorpus } from '../scripts/lib/hostile-samples';
import { PROJECT_ROOT } from '../scripts/lib/local-stack';
import { type ApiClient, expectProblem } from './helpers/api';
import { opsUser, storageAdmin, storageKeyOf, uploadFile } from './helpers/files';
import { type ApiStack, startApiStack, useStack } from './helpers/stack';

/**
 * Crafted documents through the real flow (presigned PUT to the real storage server, then
 * `complete`), on whichever runtime this project runs: each must be refused with a reason that
 * names what was found, its object deleted and its row rejected. Documents written by a real
 * office suite, and honest packages that merely look unusual, must stay acceptable.
 */

let stack: ApiStack;
let api: ApiClient;
let ops: Awaited<ReturnType<typeof opsUser>>;
let hostile: HostileSample[];
let honest: HonestSample[];

useStack(
  () => startApiStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);
beforeAll(async () => {
  ops = await opsUser(stack, api);
  hostile = await makeHostileCorpus();
  honest = await makeHonestTrickySamples();
});

const OFFICE_FIXTURES = ['libreoffice-report.docx', 'libreoffice-figures.xlsx', 'libreoffice-slides.pptx'];

describe('a hostile corpus, uploaded as an attacker would', () => {
  it('covers every case the verification promises to refuse', async () => {
    const names = (await makeHostileCorpus()).map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(39);
  });

  it('refuses every crafted document with 422, a reason naming what was found, no object and a rejected row', async () => {
    const outcomes: string[] = [];
    for (const sample of hostile) {
      const { id, complete } = await uploadFile(api, ops.token, sample.filename, sample.bytes);
      const detail = (complete.body as { detail?: string }).detail ?? '';
      if (complete.status !== 422 || !sample.reason.test(detail)) {
        outcomes.push(`${sample.name}: ${complete.status} ${detail}`);
        continue;
      }
      expectProblem(complete, 422, 'invalid_file_content');
      expect(await storageAdmin(stack).exists(await storageKeyOf(stack, id))).toBe(false);
      const row = (await stack.sql.execute({ sql: 'select status, rejection_reason from files where id = ?', args: [id] })).rows[0];
      expect(row).toMatchObject({ status: 'rejected', rejection_reason: detail });
    }
    // Every miss at once, so one run shows the whole picture.
    expect(outcomes).toEqual([]);
  }, 240_000);
});

describe('honest documents stay acceptable', () => {
  it.each(OFFICE_FIXTURES)('accepts %s, written by LibreOffice (comments, tracked changes, charts, images)', async (name) => {
    const bytes = new Uint8Array(await readFile(path.join(PROJECT_ROOT, 'test', 'fixtures', name)));
    const { complete } = await uploadFile(api, ops.token, name, bytes);
    expect(complete.status, JSON.stringify(complete.body)).toBe(200);
    expect((complete.body as { file: { status: string } }).file.status).toBe('ready');
  });

  it('accepts packages that look unusual but are honest (external hyperlinks, data descriptors, stored entries, a BOM, an embedded chart workbook)', async () => {
    const outcomes: string[] = [];
    for (const sample of honest) {
      const { complete } = await uploadFile(api, ops.token, sample.filename, sample.bytes);
      if (complete.status !== 200) outcomes.push(`${sample.name}: ${complete.status} ${(complete.body as { detail?: string }).detail}`);
    }
    expect(outcomes).toEqual([]);
    expect(honest.length).toBeGreaterThanOrEqual(6);
  }, 120_000);
});
