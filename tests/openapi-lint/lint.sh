#!/usr/bin/env bash
# Lints an OpenAPI document with the Redocly CLI pinned in package-lock.json:
#   tests/openapi-lint/lint.sh <document.json>
# Installs the CLI into this folder (npm ci) the first time and again only when package-lock.json changes, so
# repeated runs start at once. A lock keeps two test runs from installing over each other.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
document="$1"
(
    flock 9
    if [[ ! -x "$here/node_modules/.bin/redocly" || "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
        npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >&2
    fi
) 9>"$here/.install.lock"
cd "$here"
# A test run sends nothing anywhere: no usage telemetry, no check for a newer CLI.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
# JSON on stdout for the test to count; the CLI's banner (a Node.js deprecation notice) goes to stderr.
exec "$here/node_modules/.bin/redocly" lint --config "$here/redocly.yaml" --max-problems 100000 --format json "$document"
