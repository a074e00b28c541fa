import { spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../scripts/lib/local-stack';

/** Runs one of scripts/*.ts as an operator would (through tsx), with stdin and extra environment. */
export function runScript(script: string, args: string[] = [], options: { env?: Record<string, string>; input?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(PROJECT_ROOT, 'scripts', script), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
