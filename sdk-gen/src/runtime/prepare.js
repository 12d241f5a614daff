// Compiles the TypeScript into bin/. npm runs this before it packs the package, and when it
// installs it from a git URL or a directory (`npm install --install-links <dir>`). For a git URL
// npm installs the devDependencies first; for a directory it does not, so when TypeScript is
// missing this installs them here, compiles, and removes what it installed again: an installed
// package must not carry a copy of @pulumi/pulumi of its own next to the program's.

"use strict";

const childProcess = require("child_process");
const fs = require("fs");
const path = require("path");

const here = __dirname;
const modules = path.join(here, "node_modules");

function findTsc() {
    try {
        return require.resolve("typescript/bin/tsc", { paths: [here] });
    } catch {
        return undefined;
    }
}

let tsc = findTsc();
let installedHere = false;
if (tsc === undefined) {
    installedHere = !fs.existsSync(modules);
    childProcess.execSync("npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --include=dev", { cwd: here, stdio: "inherit" });
    tsc = findTsc();
}
try {
    childProcess.execFileSync(process.execPath, [tsc, "-p", "."], { cwd: here, stdio: "inherit" });
} finally {
    if (installedHere) {
        fs.rmSync(modules, { recursive: true, force: true });
    }
}
