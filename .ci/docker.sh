#!/usr/bin/env bash
# Bring up a Docker engine, debootstrap and the reference Dev Containers CLI
# for the integration tests.  Idempotent: a second run only checks, which
# takes about a second.  The last line of output is always
#   DEVCONTAINER_CLI=<path to the devcontainer binary>
#
# Observed in the CI sandbox (Debian bookworm VM, kernel 6.x, cgroup v1,
# root, ext4 root filesystem):
#   * Debian's docker.io (engine 20.10.24) runs with *no* extra dockerd flags:
#     overlay2 on ext4 works (d_type, native diff), iptables (nf_tables
#     backend) works, so the default bridge gives containers outbound network.
#     Neither --iptables=false nor --storage-driver=vfs is needed; should some
#     other host need them, pass them through DOCKERD_FLAGS, e.g.
#       DOCKERD_FLAGS="--storage-driver=vfs" .ci/docker.sh
#   * dockerd starts its own containerd; no systemd is running here, so the
#     systemd units that docker.io installs are never started.
#   * The `docker` first on PATH (/usr/local/bin, client 28.x) has no buildx
#     plugin, so it falls back to the legacy builder and rejects
#     `RUN --mount=...`.  Use /usr/bin/docker with DOCKER_BUILDKIT=1.
#   * Outbound HTTPS goes through a TLS-intercepting proxy: npm trusts it via
#     NODE_EXTRA_CA_CERTS / SSL_CERT_FILE, containers need the CA passed in.
set -euo pipefail

DOCKER=/usr/bin/docker
CLI_PREFIX="${BOOTSTRAP_CI_CACHE:-$HOME/.cache/bootstrap-ci}/devcontainers"
CLI_BIN="$CLI_PREFIX/node_modules/.bin/devcontainer"
DOCKERD_LOG=/tmp/dockerd.log
DOCKERD_FLAGS="${DOCKERD_FLAGS:-}"

log() { printf '[docker.sh] %s\n' "$*" >&2; }

# Root is expected; on a hosted CI runner fall back to passwordless sudo.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo -n)
fi

# apt may be busy (another install in the background): wait for its locks.
apt_get() {
    local attempt
    for attempt in $(seq 1 60); do
        if "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get -o DPkg::Lock::Timeout=600 -q "$@" </dev/null; then
            return 0
        fi
        log "apt-get $1 failed (attempt $attempt), lock held? retrying in 10 s"
        sleep 10
    done
    return 1
}

# 1. Packages.  Only install what is missing: a runner that already has
# docker-ce must not get docker.io (they conflict over containerd).
missing=()
command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
# compose for the generated .devcontainer/compose.yaml (services beside the dev container)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_get update
    apt_get install -y --no-install-recommends "${missing[@]}"
fi

# 2. Engine.
if ! "${SUDO[@]}" "$DOCKER" info >/dev/null 2>&1; then
    pidfile=/var/run/docker.pid
    if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        log "removing stale $pidfile"
        "${SUDO[@]}" rm -f "$pidfile"
    fi
    if [ -f "$pidfile" ]; then
        log "dockerd already running (pid $(cat "$pidfile")), waiting for it"
    else
        log "starting dockerd${DOCKERD_FLAGS:+ $DOCKERD_FLAGS} (log: $DOCKERD_LOG)"
        dockerd_bin="$(command -v dockerd || echo /usr/sbin/dockerd)"
        # setsid + nohup: the daemon must outlive this script and its session.
        # shellcheck disable=SC2086  # DOCKERD_FLAGS is a word list on purpose
        "${SUDO[@]}" setsid nohup "$dockerd_bin" $DOCKERD_FLAGS \
            </dev/null >>"$DOCKERD_LOG" 2>&1 &
    fi
    for _ in $(seq 1 60); do
        if "${SUDO[@]}" "$DOCKER" info >/dev/null 2>&1; then
            break
        fi
        sleep 1
    done
    if ! "${SUDO[@]}" "$DOCKER" info >/dev/null 2>&1; then
        log "dockerd did not answer within 60 s; last lines of $DOCKERD_LOG:"
        tail -n 30 "$DOCKERD_LOG" >&2 || true
        exit 1
    fi
    log "dockerd is up"
fi
log "engine $("${SUDO[@]}" "$DOCKER" version --format '{{.Server.Version}}'), storage driver $("${SUDO[@]}" "$DOCKER" info --format '{{.Driver}}')"

# 3. Reference Dev Containers CLI, in a private prefix so it never touches
# the project's own node_modules.
if [ ! -x "$CLI_BIN" ]; then
    log "installing @devcontainers/cli into $CLI_PREFIX"
    mkdir -p "$CLI_PREFIX"
    npm install --prefix "$CLI_PREFIX" --no-audit --no-fund --loglevel=error \
        @devcontainers/cli </dev/null >&2
fi
if [ ! -x "$CLI_BIN" ]; then
    log "npm install finished but $CLI_BIN is missing"
    exit 1
fi

echo "DEVCONTAINER_CLI=$CLI_BIN"
