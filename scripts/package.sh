#!/usr/bin/env bash
# Builds every release artefact into dist/ (gitignored):
#  - pulumi_alicloud_kms-<v>-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl (manylinux2014 is
#    manylinux_2_17; sdk-gen's WHEEL_PLATFORM_TAG, which the READMEs name): the Python SDK with the provider
#    binary inside (maturin, `bindings = "bin"`, linked by zig against glibc 2.17, the lowest glibc
#    Rust's x86_64-unknown-linux-gnu target supports), and the plugin's launcher
#    pulumi-resource-alicloud-kms beside it; `auditwheel show` must accept its tag;
#  - pulumi_alicloud_kms-<v>.tar.gz: the sdist, which builds the binary from source with cargo;
#  - pulumi-alicloud-kms-<v>.tgz: the npm package (compiled JavaScript and types; its manifest has no
#    lifecycle scripts and no devDependencies, which only a build from sdk/nodejs needs);
#  - pulumi-alicloud-kms-linux-x64-gnu-<v>.tgz: the npm platform package with the same binary, linked
#    into node_modules/.bin under both names (the plugin is the binary run as
#    pulumi-resource-alicloud-kms).
# The packaging tools (scripts/package-requirements.txt) go into .cache/package-venv, the Node
# build tools are the test packages (scripts/ensure-node-env.sh). About 2-3 minutes on a fresh
# 2-core machine, most of it the release build. Other platforms: see "Building the packages" in
# the README.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { printf -- '--> %s\n' "$*" >&2; }

dist=$root/dist
stage=$root/target/package
rm -rf "$dist" "$stage"
mkdir -p "$dist" "$stage"

say "packaging tools (maturin, ziglang, auditwheel) in .cache/package-venv"
python=$(KMS_TEST_VENV="$root/.cache/package-venv" KMS_PYTHON_REQUIREMENTS="$root/scripts/package-requirements.txt" \
  scripts/ensure-python-env.sh)
tools=$(dirname "$python")
node_modules=${KMS_TEST_NODE_MODULES:-$(scripts/ensure-node-env.sh)}

say "pyproject.toml carries the generated package metadata of sdk/python/pyproject.toml"
"$python" - <<'EOF'
import sys, tomllib
root = tomllib.load(open("pyproject.toml", "rb"))["project"]
generated = tomllib.load(open("sdk/python/pyproject.toml", "rb"))["project"]
root = {**root, "readme": None}
generated = {**generated, "readme": None}
different = sorted(key for key in root.keys() | generated.keys() if root.get(key) != generated.get(key))
if different:
    sys.exit(f"package.sh: pyproject.toml's [project] differs from sdk/python/pyproject.toml's in {different}; "
             "copy the generated table over (keeping readme = \"sdk/python/README.md\")")
EOF

say "maturin build: the manylinux wheel with the provider binary (release, zig linker)"
# shellcheck source=lib/release-build.sh
source scripts/lib/release-build.sh
release_build "$tools" --out "$dist"
wheel=$(ls "$dist"/pulumi_alicloud_kms-*-manylinux*_x86_64.whl)

say "auditwheel show: the wheel is manylinux_2_17_x86_64"
report=$("$tools/auditwheel" show "$wheel")
echo "$report" >&2
if ! tr -s ' \n' ' ' <<<"$report" | grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"'; then
  echo "package.sh: auditwheel does not accept $wheel as manylinux_2_17_x86_64" >&2
  exit 1
fi

say "maturin sdist: the source distribution that builds the binary with cargo"
PATH="$tools:$PATH" "$tools/maturin" sdist --out "$dist" >&2

# The same binary goes into the npm platform package.
binary=$stage/alicloud-kms-provider
"$python" - "$wheel" "$binary" <<'EOF'
import os, sys, zipfile
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    (member,) = [name for name in archive.namelist() if name.endswith(".data/scripts/alicloud-kms-provider")]
    with open(target, "wb") as out:
        out.write(archive.read(member))
os.chmod(target, 0o755)
EOF

say "npm pack: pulumi-alicloud-kms (the compiled JavaScript; no lifecycle scripts, no devDependencies)"
main=$stage/npm/pulumi-alicloud-kms
mkdir -p "$(dirname "$main")"
cp -r sdk/nodejs "$main"
ln -s "$node_modules" "$main/node_modules"
(cd "$main" && node "$node_modules/typescript/bin/tsc" -p .)
node - "$main/package.json" <<'EOF'
// The published manifest is the source's without what only a build from source needs: `scripts`
// (`prepare` compiles the TypeScript, which the tarball holds compiled) and `devDependencies`.
// npm warns on every install about a package with lifecycle scripts.
const fs = require("fs");
const [manifestPath] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
delete manifest.scripts;
delete manifest.devDependencies;
fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
EOF
(cd "$main" && npm pack --ignore-scripts --silent --pack-destination "$dist" >&2)

say "npm pack: pulumi-alicloud-kms-linux-x64-gnu (the binary)"
platform=$stage/npm/platform
mkdir -p "$platform/bin"
cp "$binary" "$platform/bin/alicloud-kms-provider"
cp LICENSE "$platform/"
node - "$main/package.json" "$platform" <<'EOF'
// The platform package's manifest, from the main package's: same version and metadata, plus the
// `os`/`cpu`/`libc` fields npm matches against the machine.
const fs = require("fs");
const path = require("path");
const [mainManifest, directory] = process.argv.slice(2);
const main = JSON.parse(fs.readFileSync(mainManifest, "utf8"));
const name = `${main.name}-linux-x64-gnu`;
if (!main.optionalDependencies || main.optionalDependencies[name] !== main.version) {
  throw new Error(`${main.name}'s optionalDependencies must list ${name} at ${main.version}`);
}
const manifest = {
  name,
  version: main.version,
  description: `The alicloud-kms-provider binary of ${main.name} for Linux x64 (glibc 2.17 or later)`,
  license: main.license,
  homepage: main.homepage,
  repository: main.repository,
  keywords: main.keywords,
  os: ["linux"],
  cpu: ["x64"],
  libc: ["glibc"],
  files: ["bin/alicloud-kms-provider", "README.md", "LICENSE"],
  // Both names on the PATH of `npm exec` and of a shell that adds node_modules/.bin: the plugin
  // is the same binary, started under the name the Pulumi engine looks for.
  bin: { "alicloud-kms-provider": "bin/alicloud-kms-provider", "pulumi-resource-alicloud-kms": "bin/alicloud-kms-provider" },
  preferUnplugged: true,
};
fs.writeFileSync(path.join(directory, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
fs.writeFileSync(path.join(directory, "README.md"),
  `# ${name}\n\nThe \`alicloud-kms-provider\` binary for Linux x64 with glibc 2.17 or later. ` +
  `Install [\`${main.name}\`](https://www.npmjs.com/package/${main.name}), which depends on it optionally ` +
  `and runs this binary. The same binary is the native Pulumi resource plugin, linked into ` +
  `\`node_modules/.bin\` as \`pulumi-resource-alicloud-kms\` (put that directory on \`PATH\` for the engine).\n`);
EOF
(cd "$platform" && npm pack --silent --pack-destination "$dist" >&2)

say "dist/"
(cd "$dist" && ls -l) >&2
