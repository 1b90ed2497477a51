import { describeRun, runCheckOnNode, runCheckOnXs } from "/work/wt/link/test/xs/harness";
const file = process.argv[2];
const engine = process.argv[3] ?? "xs";
const run = engine === "node" ? await runCheckOnNode(file) : await runCheckOnXs(file);
console.log(run.stdout);
console.log(run.passed ? "PASSED" : describeRun(run));
