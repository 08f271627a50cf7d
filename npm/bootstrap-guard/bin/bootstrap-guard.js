#!/usr/bin/env node
// The bootstrap-guard command for npm users: it runs the Go binary of the platform package npm
// installed beside this one. The layout is esbuild's (npm package esbuild, bin/esbuild from
// lib/npm/node-shim.ts and node-platform.ts): the main package lists one package per platform in
// optionalDependencies, each declares npm's "os" and "cpu" fields so npm installs only the one that
// matches, and a small JavaScript launcher finds it with require.resolve and runs it. Like Biome's
// (@biomejs/biome, bin/biome), there is no install script: it works with --ignore-scripts and
// nothing is downloaded outside npm.
"use strict";

const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

// BOOTSTRAP_GUARD_BINARY_PATH runs another binary (as ESBUILD_BINARY_PATH does for esbuild).
const override = process.env.BOOTSTRAP_GUARD_BINARY_PATH;

const platforms = require("../platforms.json").platforms;

function packageFor(platform, arch) {
  return platforms.find((p) => p.os === platform && p.cpu === arch);
}

function binaryPath() {
  if (override) {
    if (!fs.existsSync(override)) {
      fail(`BOOTSTRAP_GUARD_BINARY_PATH=${override}: no such file`);
    }
    return override;
  }
  const p = packageFor(process.platform, process.arch);
  if (!p) {
    const known = platforms.map((x) => `${x.os}-${x.cpu}`).join(", ");
    fail(`no bootstrap-guard binary for ${process.platform}-${process.arch} (there are: ${known}); ` +
      "build it from source: go install github.com/bootstrap-guard/bootstrap-guard/cmd/bootstrap-guard");
  }
  try {
    return require.resolve(`${p.package}/bin/${p.binary}`);
  } catch (e) {
    // The platform package is missing: installed with --omit=optional (or --no-optional), or
    // node_modules was copied from another platform (a Mac's into a Linux container).
    const others = platforms.filter((x) => x !== p).map((x) => x.package).filter((name) => {
      try { require.resolve(`${name}/package.json`); return true; } catch { return false; }
    });
    let hint = `npm did not install ${p.package}, which holds the binary for ${p.os}-${p.cpu}. ` +
      "Optional dependencies may have been left out (--omit=optional, --no-optional): reinstall without that flag.";
    if (others.length > 0) {
      hint += ` ${others.join(", ")} is installed instead: node_modules was probably copied from another platform; run npm ci on this one.`;
    }
    fail(hint);
  }
}

function fail(msg) {
  process.stderr.write(`bootstrap-guard (npm): ${msg}\n`);
  process.exit(2);
}

const result = spawnSync(binaryPath(), process.argv.slice(2), { stdio: "inherit", windowsHide: true });
if (result.error) {
  fail(`${result.error.message}`);
}
if (result.signal) {
  process.kill(process.pid, result.signal);
}
process.exit(result.status === null ? 2 : result.status);
