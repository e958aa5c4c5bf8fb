#!/usr/bin/env bash
# Prints the directory of a `node` at or above package.json's engines.node floor, to put first on PATH.
# The floor is written once, in package.json ("node": ">=X.Y.Z"); doctor reads the same field
# (harness/doctor/node-floor.ts). Uses the `node` on PATH when it is new enough; otherwise, on Linux
# x64/arm64, unpacks the official Node 24 binary from the npm registry package node-linux-<arch> into
# .toolchain/ (git-ignored). The npm registry is the only source: `npm pack` fetches the package, no
# other host is contacted.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=24.22.3   # Node 24 LTS; bump deliberately.
floor=$(sed -n 's/^[[:space:]]*"node":[[:space:]]*">=\([0-9]*\.[0-9]*\.[0-9]*\)",*[[:space:]]*$/\1/p' "$root/package.json" | head -n1)
[ -n "$floor" ] || { echo "ensure-node: cannot read the Node floor from $root/package.json engines.node (expected \">=X.Y.Z\")" >&2; exit 1; }

# True when version $1 >= version $2 (both X.Y.Z).
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

if command -v node >/dev/null 2>&1; then
  current=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
  if at_least "$current" "$floor"; then dirname "$(command -v node)"; exit 0; fi
fi
at_least "$version" "$floor" || { echo "ensure-node: the pinned Node $version is older than package.json's floor $floor; bump version= in $0" >&2; exit 1; }

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) arch=x64 ;;
  Linux/aarch64 | Linux/arm64) arch=arm64 ;;
  *) echo "ensure-node: node >= $floor is required and no npm-packaged binary fits $(uname -s)/$(uname -m); install Node $floor or newer yourself" >&2; exit 1 ;;
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
