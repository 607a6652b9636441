#!/usr/bin/env bash
# Brings a Debian machine to the point where Kubicle runs and its tests pass: system packages,
# npm dependencies, a running dockerd, and a build. Every step is skipped when already done, so a
# second run takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    log "installing system packages needs root: run as root or install: $*" >&2
    exit 1
  fi
}

# 1. System packages (etcd, Docker, iptables and nftables, openssl for the cluster certificates,
#    busybox for the local images; kubectl only if absent).
missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v iptables-restore >/dev/null 2>&1 || missing+=(iptables)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || missing+=(busybox-static)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
if [ ${#missing[@]} -gt 0 ]; then
  need_root "${missing[@]}"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. npm dependencies, when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 3. dockerd, when it is not running (the kubelet drives Docker through its socket).
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v dockerd >/dev/null 2>&1; then
    log "starting dockerd"
    mkdir -p /var/log
    nohup dockerd >/var/log/kubicle-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do
      docker info >/dev/null 2>&1 && break
      sleep 0.5
    done
    docker info >/dev/null 2>&1 || log "warning: dockerd did not start (see /var/log/kubicle-dockerd.log); pods cannot run"
  else
    log "warning: Docker is not running and cannot be started here; pods cannot run"
  fi
fi

# 4. Build (incremental: only what changed).
log "building"
npx tsc -p tsconfig.build.json
chmod +x dist/cli/kubicle.js

# 5. The local images pods run (no registry is reachable): built from busybox-static, skipped when current.
if docker info >/dev/null 2>&1; then
  node dist/cli/kubicle.js images
fi
