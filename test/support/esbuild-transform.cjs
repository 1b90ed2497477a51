// Jest transformer: TypeScript to ES modules with esbuild, so tests load the same sources the
// firmware bundle and the simulator use, without a separate compile step.
const { transformSync } = require("esbuild");

module.exports = {
  process(source, filename) {
    const result = transformSync(source, {
      loader: "ts",
      format: "esm",
      target: "node20",
      sourcemap: "inline",
      sourcefile: filename,
    });
    return { code: result.code };
  },
};
