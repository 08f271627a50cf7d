#!/usr/bin/env node
// node npm/verdicts.js A.json B.json: the two `bootstrap-guard check --format json` reports must
// give the same verdicts: for each target, its status and the rule IDs of its findings (the
// version stamped into each binary aside, the reports are compared as data). Exits 1 naming the
// first difference; prints the verdicts when they agree.
"use strict";
const fs = require("fs");

function verdicts(file) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not a bootstrap-guard JSON report: ${e.message}`);
  }
  if (!Array.isArray(report.results) || report.results.length === 0) {
    throw new Error(`${file}: no results`);
  }
  return report.results
    .map((r) => `${r.target}: ${r.status} [${(r.findings || []).map((f) => `${f.rule}/${f.severity}`).sort().join(" ")}]`)
    .sort();
}

try {
  const [a, b] = process.argv.slice(2).map(verdicts);
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    const i = a.findIndex((v, k) => v !== b[k]);
    throw new Error(`verdicts differ:\n  ${process.argv[2]}: ${a[i] ?? "(none)"}\n  ${process.argv[3]}: ${b[i] ?? "(none)"}`);
  }
  for (const v of a) process.stdout.write(`verdict: ${v}\n`);
} catch (e) {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
