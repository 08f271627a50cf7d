#!/usr/bin/env node
// Lays out the npm packages of a release and packs them with `npm pack`:
//   node npm/pack.js --dist DIST --version VERSION --out DIR [--stand-in-except OS-CPU]
// bootstrap-guard (the launcher) and @bootstrap-guard/cli-OS-CPU for each platform of
// platforms.json, holding DIST/bootstrap-guard_GOOS_GOARCH[.exe]. Every package has the same
// version, and the launcher's optionalDependencies pin them to it exactly.
// --stand-in-except OS-CPU (make test) packs the other platforms' packages with a text file in
// place of their binary: npm never installs them on this machine (their os/cpu do not match),
// and the test checks that it does not.
"use strict";

const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

function args() {
  const out = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    if (!a[i].startsWith("--") || a[i + 1] === undefined) {
      throw new Error(`usage: pack.js --dist DIST --version VERSION --out DIR [--stand-in-except OS-CPU]; bad argument ${a[i]}`);
    }
    out[a[i].slice(2)] = a[i + 1];
  }
  for (const k of ["dist", "version", "out"]) {
    if (!out[k]) throw new Error(`pack.js: --${k} is required`);
  }
  return out;
}

function main() {
  const opt = args();
  // npm versions are semver without the v of a Go version (v0.0.0-2026... -> 0.0.0-2026...).
  const version = opt.version.replace(/^v/, "");
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`pack.js: --version ${opt.version} is not a semantic version`);
  }
  const platforms = JSON.parse(fs.readFileSync(path.join(__dirname, "platforms.json"), "utf8")).platforms;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bootstrap-guard-npm-"));
  fs.mkdirSync(opt.out, { recursive: true });
  const outDir = path.resolve(opt.out);
  const launcher = JSON.parse(fs.readFileSync(path.join(__dirname, "bootstrap-guard", "package.json"), "utf8"));
  launcher.version = version;
  launcher.optionalDependencies = {};
  const layout = [];
  for (const p of platforms) {
    const name = `@bootstrap-guard/cli-${p.os}-${p.cpu}`;
    const binary = p.os === "win32" ? "bootstrap-guard.exe" : "bootstrap-guard";
    p.package = name;
    p.binary = binary;
    launcher.optionalDependencies[name] = version;
    const dir = path.join(work, `cli-${p.os}-${p.cpu}`);
    fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
    const src = path.join(opt.dist, `bootstrap-guard_${p.goos}_${p.goarch}${p.goos === "windows" ? ".exe" : ""}`);
    const dst = path.join(dir, "bin", binary);
    if (opt["stand-in-except"] && opt["stand-in-except"] !== `${p.os}-${p.cpu}`) {
      fs.writeFileSync(dst, "stand-in: make test builds only this machine's binary\n");
    } else {
      fs.copyFileSync(src, dst);
    }
    fs.chmodSync(dst, 0o755);
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({
      name, version,
      description: `The bootstrap-guard binary for ${p.os} ${p.cpu}`,
      repository: launcher.repository,
      // npm installs an optional dependency only where these match process.platform and
      // process.arch (https://docs.npmjs.com/cli/v11/configuring-npm/package-json#os).
      os: [p.os], cpu: [p.cpu],
      preferUnplugged: true,
      files: ["bin/"],
    }, null, 2) + "\n");
    layout.push(dir);
  }
  const main = path.join(work, "bootstrap-guard");
  fs.mkdirSync(path.join(main, "bin"), { recursive: true });
  fs.copyFileSync(path.join(__dirname, "bootstrap-guard", "bin", "bootstrap-guard.js"), path.join(main, "bin", "bootstrap-guard.js"));
  fs.chmodSync(path.join(main, "bin", "bootstrap-guard.js"), 0o755);
  fs.copyFileSync(path.join(__dirname, "bootstrap-guard", "README.md"), path.join(main, "README.md"));
  fs.writeFileSync(path.join(main, "platforms.json"), JSON.stringify({ platforms: platforms.map((p) => ({ os: p.os, cpu: p.cpu, package: p.package, binary: p.binary })) }, null, 2) + "\n");
  fs.writeFileSync(path.join(main, "package.json"), JSON.stringify(launcher, null, 2) + "\n");
  layout.push(main);
  for (const dir of layout) {
    const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", outDir, dir], { encoding: "utf8" }).trim().split("\n").pop();
    process.stdout.write(`${path.join(outDir, out)}\n`);
  }
  fs.rmSync(work, { recursive: true, force: true });
}

try {
  main();
} catch (e) {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
