import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../scripts/lib/local-stack';
import { type ApiStack, startApiStack, useStack } from './helpers/stack';

/** The document the API serves, linted with Spectral's OpenAPI ruleset as .spectral.yaml sets it (also `npm run lint:api`). */

interface Finding {
  code: string | number;
  message: string;
  path: Array<string | number>;
  /** 0 error, 1 warning, 2 information, 3 hint. */
  severity: number;
}

/** `spectral lint FILE --ruleset .spectral.yaml -f json`, its findings parsed. */
function spectralLint(file: string): Promise<Finding[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'spectral'),
      ['lint', file, '--ruleset', path.join(PROJECT_ROOT, '.spectral.yaml'), '-f', 'json', '--quiet'],
      { cwd: PROJECT_ROOT },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      // It exits 1 when it finds an error; anything but its JSON list means it could not lint at all.
      try {
        resolve(JSON.parse(stdout) as Finding[]);
      } catch {
        reject(new Error(`spectral exited ${code} without findings: ${stderr || stdout}`));
      }
    });
  });
}

const describeFinding = (f: Finding) => `${f.code} at ${f.path.join('.') || '(document)'}: ${f.message}`;

describe('GET /api/openapi.json, linted by Spectral', () => {
  let stack: ApiStack;
  useStack(
    () => startApiStack(),
    (s) => {
      stack = s;
    },
  );

  it('has no error and no warning', { timeout: 120_000 }, async () => {
    const res = await fetch(`${stack.apiUrl}/api/openapi.json`);
    expect(res.status).toBe(200);
    const dir = await mkdtemp(path.join(tmpdir(), 'sfs-spectral-'));
    try {
      const file = path.join(dir, 'openapi.json');
      await writeFile(file, await res.text());
      const findings = await spectralLint(file);
      const errors = findings.filter((f) => f.severity === 0).map(describeFinding);
      const warnings = findings.filter((f) => f.severity === 1).map(describeFinding);
      expect({ errors, warnings }, `Spectral found:\n${[...errors, ...warnings].join('\n')}`).toEqual({ errors: [], warnings: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
