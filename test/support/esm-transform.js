// Jest on Node 20 cannot require ES modules, and a few dependencies now ship only ESM (or load a
// dependency with import()). This transform turns just those files into CommonJS with esbuild.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const out = transformSync(source, {
      format: 'cjs',
      loader: 'js',
      target: 'node20',
      sourcefile: filename,
      sourcemap: 'inline',
      supported: { 'dynamic-import': false },
    });
    return { code: out.code };
  },
};
