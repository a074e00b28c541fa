/**
 * `npm run samples -- [DIR]`: writes the sample documents (default: ./samples, git-ignored), the
 * hostile corpus the verifier must refuse to DIR/hostile/, and the unusual but honest documents it
 * must accept to DIR/tricky/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeHonestTrickySamples, makeHostileCorpus } from './lib/hostile-samples';
import { makeAllSamples } from './lib/samples';

const dir = path.resolve(process.argv[2] ?? 'samples');
const shown = (file: string) => path.relative(process.cwd(), file) || '.';

await mkdir(dir, { recursive: true });
for (const [name, bytes] of Object.entries(await makeAllSamples())) {
  await writeFile(path.join(dir, name), bytes);
  console.log(`${shown(path.join(dir, name))}  ${bytes.length} bytes`);
}

const sets: Array<[string, Array<{ filename: string; bytes: Uint8Array }>]> = [
  ['hostile', await makeHostileCorpus()],
  ['tricky', await makeHonestTrickySamples()],
];
for (const [subdirectory, samples] of sets) {
  await mkdir(path.join(dir, subdirectory), { recursive: true });
  for (const { filename, bytes } of samples) {
    const file = path.join(dir, subdirectory, filename);
    await writeFile(file, bytes);
    console.log(`${shown(file)}  ${bytes.length} bytes`);
  }
}
