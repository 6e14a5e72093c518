#!/usr/bin/env bash
# Installs what the test suites need when it is missing: xmllint (schema validation),
# Debian's python3-exchangelib (a third-party EWS client), Chromium (browser tests),
# PostgreSQL's server (scripts/test-postgres.sh runs a throwaway one), and the npm
# packages of the JavaScript client suite. Idempotent and quiet when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_apt=()
command -v xmllint >/dev/null 2>&1 || need_apt+=(libxml2-utils)
/usr/bin/python3 -c 'import exchangelib' >/dev/null 2>&1 || need_apt+=(python3-exchangelib)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# Debian's layout, which scripts/test-postgres.sh looks in; the package also brings
# the psql client.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test-deps: installing ${need_apt[*]} with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# npm records what it installed in node_modules/.package-lock.json: reinstall when the
# committed lockfile is newer (a version bump).
js=test/clients/js
if [ -f $js/package.json ] && { [ ! -d $js/node_modules ] || [ $js/package-lock.json -nt $js/node_modules/.package-lock.json ]; }; then
  echo "test-deps: installing npm packages for test/clients/js"
  (cd test/clients/js && npm ci --no-audit --no-fund --loglevel=error)
fi
