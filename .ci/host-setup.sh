#!/usr/bin/env bash
# Installs and starts what pullproof's tests need on a Debian machine (as root):
# a Docker engine, containerd, Debian's distribution registry, busybox-static, kind, chromium,
# mmdebstrap, and the basics a bare debian:bookworm image lacks (make, openssl, git, ca-certificates).
# Idempotent: a second run only checks. Sourced by .ci/run; usable by hand: `sudo bash .ci/host-setup.sh`.
set -euo pipefail

log() { printf '[host-setup] %s\n' "$*"; }

# The newer suites come from the same mirror as the machine's own bookworm entry: we copy that
# entry's URIs and keyring instead of naming any host here.
add_newer_suites() {
  local src=/etc/apt/sources.list.d/debian.sources out=/etc/apt/sources.list.d/pullproof-newer.sources
  [ -f "$out" ] && return 0
  [ -f "$src" ] || { log "no $src: cannot derive trixie/sid sources; install docker.io, containerd and kind by hand"; return 1; }
  local stanza uris signed
  # The first stanza whose Suites line names plain bookworm (not bookworm-security).
  stanza=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm/ && !/bookworm-security/ {print; exit}' "$src")
  uris=$(printf '%s\n' "$stanza" | sed -n 's/^URIs: *//p' | head -n1)
  signed=$(printf '%s\n' "$stanza" | sed -n 's/^Signed-By: *//p' | head -n1)
  [ -n "$uris" ] || { log "could not find the bookworm entry in $src"; return 1; }
  printf 'Types: deb\nURIs: %s\nSuites: trixie sid\nComponents: main\nSigned-By: %s\n' "$uris" "$signed" >"$out"
  # Low priority: nothing is taken from trixie/sid unless asked for by name (pkg/suite) below.
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n\nPackage: *\nPin: release n=sid\nPin-Priority: 50\n' \
    >/etc/apt/preferences.d/pullproof-newer
  # libc and friends never move off bookworm.
  printf 'Package: libc6 libc-bin libc6-dev libc-dev-bin locales libstdc++6 libgcc-s1\nPin: release n=bookworm\nPin-Priority: 1001\n' \
    >/etc/apt/preferences.d/pullproof-keep-libc
}

# pkg/suite takes that one package from the pinned-low suite; its dependencies still come from
# bookworm where bookworm satisfies them.
apt_install() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_packages() {
  local want=()
  dpkg -s docker.io >/dev/null 2>&1 || want+=(docker.io/trixie)
  dpkg -s containerd >/dev/null 2>&1 || want+=(containerd/trixie)
  dpkg -s kind >/dev/null 2>&1 || want+=(kind/sid)
  dpkg -s docker-registry >/dev/null 2>&1 || want+=(docker-registry)
  dpkg -s busybox-static >/dev/null 2>&1 || want+=(busybox-static)
  dpkg -s mmdebstrap >/dev/null 2>&1 || want+=(mmdebstrap)
  dpkg -s chromium >/dev/null 2>&1 || want+=(chromium)
  dpkg -s iptables >/dev/null 2>&1 || want+=(iptables)
  dpkg -s jq >/dev/null 2>&1 || want+=(jq)
  # A clean Debian image (debian:bookworm in .github/workflows/test.yml) has none of these: make runs
  # the tests, openssl serves the TLS tests and the token service's certificates, git is read by the
  # fixtures script, ca-certificates lets npm and apt reach https mirrors.
  dpkg -s make >/dev/null 2>&1 || want+=(make)
  dpkg -s openssl >/dev/null 2>&1 || want+=(openssl)
  dpkg -s git >/dev/null 2>&1 || want+=(git)
  dpkg -s ca-certificates >/dev/null 2>&1 || want+=(ca-certificates)
  [ ${#want[@]} -eq 0 ] && { log "packages present"; return 0; }
  add_newer_suites
  log "installing ${want[*]}"
  apt_install "${want[@]}"
}

# kind comes from Debian sid, whose version moves: check it instead of assuming it. The floor is the
# highest minKind in harness/cluster/versions.ts (the oldest kind that configures every supported
# minor's node correctly), read from there so it is written once.
check_kind() {
  local root floor version
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  floor=$(grep -o "minKind: 'v[0-9]*\.[0-9]*\.[0-9]*'" "$root/harness/cluster/versions.ts" | sed "s/minKind: '\(.*\)'/\1/" | sort -V | tail -n1)
  [ -n "$floor" ] || { log "cannot read minKind from harness/cluster/versions.ts"; return 1; }
  command -v kind >/dev/null 2>&1 || { log "kind is not on PATH after installing the kind package"; return 1; }
  version=$(kind version 2>/dev/null | grep -o 'kind v[0-9]*\.[0-9]*\.[0-9]*' | head -n1 | cut -d' ' -f2 || true)
  [ -n "$version" ] || { log "\`kind version\` printed no version: $(kind version 2>&1 | head -n1)"; return 1; }
  if [ "$(printf '%s\n%s\n' "$floor" "$version" | sort -V | head -n1)" != "$floor" ]; then
    log "kind $version is older than $floor, the oldest harness/cluster/versions.ts supports: install the release binary (as .github/workflows/e2e.yml does, checked against its .sha256sum) or a newer Debian package"
    return 1
  fi
  log "kind $version (>= $floor)"
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then log "docker engine already running"; return 0; fi
  log "starting dockerd"
  mkdir -p /var/log
  # containerd ships with docker.io's dependency; dockerd starts its own when none is running.
  nohup dockerd >/var/log/pullproof-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && { log "docker engine up ($(docker version --format '{{.Server.Version}}'))"; return 0; }
    sleep 1
  done
  log "dockerd did not come up in 60s; last log lines:"; tail -n 30 /var/log/pullproof-dockerd.log >&2; return 1
}

if [ "${1:-}" = "--check-kind" ]; then check_kind; exit; fi
install_packages
check_kind
start_dockerd
