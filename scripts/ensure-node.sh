#!/usr/bin/env bash
# Prints the directory of a `node` >= 22 to put first on PATH.
# Uses the `node` on PATH when it is new enough; otherwise, on Linux x64/arm64, unpacks the official
# Node 24 binary from the npm registry package node-linux-<arch> into .toolchain/ (git-ignored).
# The npm registry is the only source: `npm pack` fetches the package, no other host is contacted.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=24.22.3   # Node 24 LTS; bump deliberately.
min_major=22

if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge "$min_major" ]; then dirname "$(command -v node)"; exit 0; fi
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) arch=x64 ;;
  Linux/aarch64 | Linux/arm64) arch=arm64 ;;
  *) echo "ensure-node: node >= $min_major is required and no npm-packaged binary fits $(uname -s)/$(uname -m); install Node $min_major+ yourself" >&2; exit 1 ;;
esac

dir="$root/.toolchain/node-v$version-linux-$arch"
if [ ! -x "$dir/bin/node" ]; then
  command -v npm >/dev/null 2>&1 || { echo "ensure-node: npm is needed to fetch node-linux-$arch@$version" >&2; exit 1; }
  tmp=$(mktemp -d "$root/.toolchain.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "ensure-node: fetching node-linux-$arch@$version from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  mkdir -p "$tmp/unpacked" && tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$tmp/unpacked"
  "$tmp/unpacked/package/bin/node" --version >/dev/null
  mkdir -p "$root/.toolchain" && rm -rf "$dir" && mv "$tmp/unpacked/package" "$dir"
fi
echo "$dir/bin"
