#!/usr/bin/env bash
# make test: bootstrap (no demo), then every check CI runs, in order, failing fast.
source "$(dirname "$0")/lib.sh"

export DJANGO_SETTINGS_MODULE=gridapi.settings.test
bootstrap
cd "$ROOT"
trap 'stop_private_redis; stop_private_postgis' EXIT

log "ruff (lint)";    "$VENV/bin/ruff" check .
log "ruff (format)";  "$VENV/bin/ruff" format --check .
log "mypy";           "$VENV/bin/mypy"
log "import contract"; "$VENV/bin/lint-imports"
log "migrations";     "$PY" manage.py makemigrations --check --dry-run
log "OpenAPI schema is fresh and valid"
fresh="$(mktemp)"
"$PY" manage.py spectacular --validate --fail-on-warn --file "$fresh"
if ! cmp -s "$fresh" openapi/schema.yaml; then
  diff -u openapi/schema.yaml "$fresh" | head -40 >&2 || true
  die "openapi/schema.yaml is stale: run 'make schema' and commit it"
fi
rm -f "$fresh"
"$VENV/bin/openapi-spec-validator" openapi/schema.yaml
log "pytest"
"$VENV/bin/pytest" --cov --cov-report=term "$@"
