/** `npm run samples -- [DIR]`: writes the sample documents (default: ./samples, git-ignored). */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeAllSamples } from './lib/samples';

const dir = path.resolve(process.argv[2] ?? 'samples');
await mkdir(dir, { recursive: true });
for (const [name, bytes] of Object.entries(await makeAllSamples())) {
  await writeFile(path.join(dir, name), bytes);
  console.log(`${path.join(path.relative(process.cwd(), dir) || '.', name)}  ${bytes.length} bytes`);
}
