// Builds the browser DNI snippet: dist/dni.min.js (served by the service at GET /dni.js)
// and the paste-in loader (dist/loader.min.js, dist/loader.html with KEY and ORIGIN
// placeholders). Quiet on success; esbuild reports errors and warnings itself.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
mkdirSync(dist, { recursive: true });

// tsconfigRaw: the snippet's own compiler settings only matter to tsc; here an empty
// config keeps esbuild from adding a "use strict" prologue the IIFE does not need.
const common = {
  minify: true,
  target: 'es2017',
  legalComments: 'none',
  logLevel: 'warning',
  charset: 'utf8',
  tsconfigRaw: {},
};

const [, loader] = await Promise.all([
  build({
    ...common,
    entryPoints: [join(here, 'src/index.ts')],
    bundle: true,
    format: 'iife',
    outfile: join(dist, 'dni.min.js'),
  }),
  build({ ...common, entryPoints: [join(here, 'src/loader.ts')], write: false }),
]);

const code = loader.outputFiles[0].text.trim();
for (const placeholder of ['"KEY"', '"ORIGIN"']) {
  if (code.split(placeholder).length !== 2)
    throw new Error(`loader must contain ${placeholder} exactly once`);
}
writeFileSync(join(dist, 'loader.min.js'), code);
writeFileSync(join(dist, 'loader.html'), `<script data-cfasync="false">${code}</script>\n`);
