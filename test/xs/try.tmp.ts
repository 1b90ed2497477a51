import { runCheckOnXs, runCheckOnNode, describeRun } from "./harness";
for (const entry of process.argv.slice(2)) {
  const t = Date.now();
  const r = await runCheckOnXs(entry);
  console.log(entry, "xs", r.passed, Date.now() - t, "ms", r.ok.length, [...r.meters]);
  if (!r.passed) console.log(describeRun(r));
  const n = await runCheckOnNode(entry);
  console.log(entry, "node", n.passed, n.ok.length);
  if (!n.passed) console.log(describeRun(n));
}
