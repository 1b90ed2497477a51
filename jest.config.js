/** Tests run as native ES modules (node --experimental-vm-modules), TypeScript through esbuild. */
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleFileExtensions: ["ts", "js", "mjs", "cjs", "json"],
  transform: { "\\.ts$": "<rootDir>/test/support/esbuild-transform.cjs" },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  testTimeout: 30000,
  reporters: ["default", "<rootDir>/test/support/summary-reporter.cjs"],
};
