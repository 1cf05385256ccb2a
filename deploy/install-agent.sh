#!/usr/bin/env bash
# Installs the Banyan agent as a systemd service on Debian/Ubuntu/openEuler-style hosts.
# Idempotent: a second run changes nothing a site engineer edited (agent.yaml is kept).
set -euo pipefail

usage() {
  cat <<'USAGE'
install-agent.sh — install (or remove) the Banyan edge agent

Usage: sudo deploy/install-agent.sh [options]
  --node-id ID      this node's id (default: the hostname); also its MQTT username
  --site ID         the site, e.g. fz-mawei-plant-3 (default: local)
  --broker URL      the broker, e.g. mqtts://broker.example:8883 (default: mqtts://127.0.0.1:8883)
  --prefix DIR      install under DIR (a scratch root for tests and packagers): no user, no systemctl
  --dry-run         print what would be done, change nothing
  --no-start        install but do not enable or start the service
  --no-deps         do not run npm ci (node_modules already there, or packaged separately)
  --uninstall       stop the service and remove everything this script installed
  -h, --help        this text
Needs root (unless --prefix or --dry-run) and Node.js 20 or newer.
USAGE
}

PREFIX="" DRY_RUN=0 UNINSTALL=0 START=1 DEPS=1
NODE_ID="$(hostname 2>/dev/null | tr -c 'A-Za-z0-9._\n-' '-' | cut -c1-64)" SITE="local" BROKER="mqtts://127.0.0.1:8883"
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    --node-id) NODE_ID="${2:?--node-id needs a value}"; shift 2 ;;
    --site) SITE="${2:?--site needs a value}"; shift 2 ;;
    --broker) BROKER="${2:?--broker needs a URL}"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --no-start) START=0; shift ;;
    --no-deps) DEPS=0; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-agent.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "install-agent.sh: $*" >&2; exit 1; }
say() { echo "banyan-install: $*"; }
# Every change goes through run, so --dry-run shows exactly what a real run would do.
run() {
  if [ "$DRY_RUN" = 1 ]; then echo "would: $*"; else "$@"; fi
}

for id in "$NODE_ID" "$SITE"; do
  [[ "$id" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || fail "\"$id\" must be 1-64 of [A-Za-z0-9._-] (it is a topic segment)"
done
if [ -n "$PREFIX" ]; then
  [ "$DRY_RUN" = 1 ] || mkdir -p "$PREFIX"
  PREFIX="$(cd "$PREFIX" 2>/dev/null && pwd || echo "$PREFIX")"
fi
[ "$DRY_RUN" = 1 ] || [ -n "$PREFIX" ] || [ "$(id -u)" = 0 ] || fail "must run as root: sudo $0 $*  (or --prefix DIR for a scratch install, --dry-run to preview)"

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Runtime paths (what the unit and config name) and where they land (under --prefix, if any).
APP_DIR=/opt/banyan CONFIG_DIR=/etc/banyan STATE_ROOT=/var/lib/banyan
UNIT_DIR=/etc/systemd/system UNIT=banyan-agent.service
SYSTEM=1
[ -z "$PREFIX" ] || SYSTEM=0
at() { echo "${PREFIX}$1"; }
ACCEL_GROUPS="video render HwHiAiUser"

uninstall() {
  if [ "$SYSTEM" = 1 ] && command -v systemctl >/dev/null; then
    run systemctl disable --now "$UNIT" 2>/dev/null || true
  fi
  run rm -f "$(at "$UNIT_DIR/$UNIT")"
  run rm -rf "$(at "$APP_DIR")" "$(at "$CONFIG_DIR")" "$(at "$STATE_ROOT")"
  if [ "$SYSTEM" = 1 ]; then
    command -v systemctl >/dev/null && run systemctl daemon-reload
    getent passwd banyan >/dev/null && run userdel banyan
    getent group banyan >/dev/null && run groupdel banyan 2>/dev/null || true
  else
    # Only the directories this script created, and only when empty.
    for d in "$UNIT_DIR" /etc/systemd /etc /opt /var/lib /var; do
      [ -d "$(at "$d")" ] && run rmdir --ignore-fail-on-non-empty "$(at "$d")"
    done
  fi
  say "removed the Banyan agent"
}

check_node() {
  local node major
  node="$(command -v node || true)"
  [ -n "$node" ] || fail "Node.js 20 or newer is required and no 'node' is on PATH; install nodejs 20 (distro or NodeSource) first"
  major="$("$node" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  [ "$major" -ge 20 ] 2>/dev/null || fail "Node.js 20 or newer is required; $node is $("$node" -v 2>/dev/null || echo unknown). Upgrade nodejs, then run again"
  NODE_BIN="$node"
}

install_app() {
  local dest; dest="$(at "$APP_DIR")"
  run mkdir -p "$dest"
  # The runtime tree: bin/banyan.js runs the sources through tsx; the bundled agent (build_agent)
  # reads its assets from agent/ and protocol/ here.
  local parts=(bin cli.ts main.ts package.json package-lock.json tsconfig.json protocol agent orchestrator simulators deploy)
  local present=()
  for p in "${parts[@]}"; do [ -e "$SRC_DIR/$p" ] && present+=("$p"); done
  if [ "$DRY_RUN" = 1 ]; then
    echo "would: copy ${present[*]} from $SRC_DIR to $dest"
  else
    tar -C "$SRC_DIR" --exclude=node_modules --exclude='*.test.ts' -cf - "${present[@]}" | tar -C "$dest" -xf -
  fi
  if [ "$DEPS" = 1 ]; then
    run sh -c "cd '$dest' && npm ci --omit=dev --ignore-scripts --no-audit --no-fund"
  fi
  build_agent "$dest"
}

# The unit runs dist/banyan-agent: the agent bundled into one file for bare node (~50 MB RSS
# instead of ~115 through tsx). esbuild comes from the installed tree, else from this checkout.
build_agent() {
  local dest="$1" builder
  if [ "$DRY_RUN" = 1 ]; then echo "would: build $dest/dist/banyan-agent (deploy/bundle/build-agent.mjs)"; return; fi
  if [ -d "$dest/node_modules/esbuild" ]; then builder="$dest/deploy/bundle/build-agent.mjs"
  elif [ -d "$SRC_DIR/node_modules/esbuild" ]; then builder="$SRC_DIR/deploy/bundle/build-agent.mjs"
  else fail "cannot build the agent bundle: no esbuild in $dest/node_modules or $SRC_DIR/node_modules; run npm install in $SRC_DIR (or drop --no-deps), then run this again"
  fi
  "$NODE_BIN" "$builder" --out-dir "$dest/dist" --app-dir "$dest" >/dev/null ||
    fail "building the agent bundle failed (output above); run npm install in $SRC_DIR, then run this again"
  say "built $dest/dist/banyan-agent"
}

ensure_user() {
  if [ "$SYSTEM" = 0 ]; then say "skip system user in --prefix mode"; return; fi
  local nologin; nologin="$(command -v nologin || echo /usr/sbin/nologin)"
  getent passwd banyan >/dev/null ||
    run useradd --system --user-group --home-dir "$STATE_ROOT" --no-create-home --shell "$nologin" banyan
  # Accelerator device nodes belong to these groups where the drivers create them.
  for g in $ACCEL_GROUPS; do
    getent group "$g" >/dev/null && run usermod -aG "$g" banyan
  done
  return 0
}

owned() { # mode owner:group path...
  local mode="$1" who="$2"; shift 2
  run chmod "$mode" "$@"
  [ "$SYSTEM" = 0 ] || run chown "$who" "$@"
}

install_config() {
  local conf; conf="$(at "$CONFIG_DIR")"
  run mkdir -p "$conf/secrets"
  owned 0750 root:banyan "$conf" "$conf/secrets"
  if [ -e "$conf/agent.yaml" ]; then
    say "kept existing $CONFIG_DIR/agent.yaml"
  else
    if [ "$DRY_RUN" = 1 ]; then
      echo "would: write $conf/agent.yaml from deploy/agent.yaml.template (nodeId $NODE_ID, site $SITE, broker $BROKER)"
    else
      sed -e "s|@NODE_ID@|$NODE_ID|g" -e "s|@SITE@|$SITE|g" -e "s|@BROKER_URL@|$BROKER|g" "$SRC_DIR/deploy/agent.yaml.template" >"$conf/agent.yaml"
    fi
    owned 0640 root:banyan "$conf/agent.yaml"
  fi
  run mkdir -p "$(at "$STATE_ROOT/agent")"
  owned 0750 banyan:banyan "$(at "$STATE_ROOT")" "$(at "$STATE_ROOT/agent")"
}

install_unit() {
  local unit; unit="$(at "$UNIT_DIR/$UNIT")"
  run mkdir -p "$(at "$UNIT_DIR")"
  if [ "$DRY_RUN" = 1 ]; then
    echo "would: write $unit"
  else
    sed -e "s|@NODE@|$NODE_BIN|g" -e "s|@APP_DIR@|$APP_DIR|g" -e "s|@CONFIG_FILE@|$CONFIG_DIR/agent.yaml|g" \
      -e "s|@CONFIG_DIR@|$CONFIG_DIR|g" -e "s|@STATE_DIR@|$STATE_ROOT/agent|g" \
      "$SRC_DIR/deploy/systemd/$UNIT" >"$unit.tmp"
    mv "$unit.tmp" "$unit"
  fi
  run chmod 0644 "$unit"
  if [ "$SYSTEM" = 1 ] && command -v systemctl >/dev/null; then
    run systemctl daemon-reload
    if [ "$START" = 1 ]; then run systemctl enable --now "$UNIT"; else say "not started (--no-start): systemctl enable --now $UNIT"; fi
  fi
}

if [ "$UNINSTALL" = 1 ]; then uninstall; exit 0; fi
check_node
install_app
ensure_user
install_config
install_unit
say "installed: config $CONFIG_DIR/agent.yaml, state $STATE_ROOT/agent, unit $UNIT_DIR/$UNIT${PREFIX:+ (under $PREFIX)}"
say "next: put the broker password from 'banyan creds add $NODE_ID' in $CONFIG_DIR/secrets/mqtt.password (chmod 0640, group banyan)"
