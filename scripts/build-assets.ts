/** Builds the static assets (the web portal, the docs script) into dist/public. */
import { buildAssets } from './lib/build';

await buildAssets();
