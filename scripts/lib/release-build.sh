# shellcheck shell=bash
# The one release build of the provider's workspace, shared by scripts/package.sh (the wheel) and
# scripts/bench.sh --budget (the harness): maturin with zig as the linker against glibc 2.17. Both
# go through here with the same flags, so the second finds the first's dependencies fresh (cargo
# rebuilds whatever differs in target, profile, linker or features).
#   release_build TOOLS [MATURIN ARGS...]   TOOLS: the bin/ of the packaging venv
# Sets release_dir to the directory the binaries land in.
release_dir=target/x86_64-unknown-linux-gnu/release
release_build() {
  local tools=$1
  shift
  # maturin finds zig through the ziglang package of its own venv.
  PATH="$tools:$PATH" "$tools/maturin" build --release --locked --zig --compatibility manylinux2014 \
    --target x86_64-unknown-linux-gnu "$@" >&2
}
