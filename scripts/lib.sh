# Shared shell helpers for the two README commands (sourced, not executed).
# Every step is idempotent: a second run reuses the virtualenv, the data and the running services.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/.var"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
mkdir -p "$VAR/log"

log() { printf '\033[1;34m[gridapi]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[gridapi] %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root for: $* (install sudo or run as root)"; fi
}

# Values from .env (the operator's configuration) count as if they were exported.
load_dotenv() {
  if [ -f "$ROOT/.env" ]; then
    set -a; # shellcheck disable=SC1091
    . "$ROOT/.env"; set +a
  fi
}

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
}

# --- system packages ------------------------------------------------------------------------------
ensure_system_packages() {
  local want=() bindir major
  command -v python3 >/dev/null || want+=(python3)
  python3 -c 'import venv, ensurepip' 2>/dev/null || want+=(python3-venv)
  # Read once: `ldconfig -p | grep -q` would fail under pipefail when grep stops reading early.
  local libs; libs="$(ldconfig -p 2>/dev/null || true)"
  grep -q 'libgdal\.so' <<<"$libs" || want+=(gdal-bin libgdal-dev)
  grep -q 'libgeos_c\.so' <<<"$libs" || want+=(libgeos-dev)
  grep -q 'libproj\.so' <<<"$libs" || want+=(libproj-dev)
  command -v msgfmt >/dev/null || want+=(gettext)
  command -v make >/dev/null || want+=(make)
  [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || want+=(fonts-wqy-microhei)  # CJK labels of charts
  command -v chromium >/dev/null || want+=(chromium)  # the console's browser tests (Playwright drives it)
  if [ -z "${CELERY_BROKER_URL:-}" ]; then command -v redis-server >/dev/null || want+=(redis-server); fi
  bindir="$(pg_bindir)"
  if [ -z "$bindir" ]; then want+=(postgresql postgresql-contrib); fi
  if [ ${#want[@]} -gt 0 ]; then
    log "installing system packages: ${want[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null
  fi
  bindir="$(pg_bindir)"
  [ -n "$bindir" ] || die "PostgreSQL server binaries not found after install"
  major="$(basename "$(dirname "$bindir")")"
  if [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    log "installing PostGIS for PostgreSQL $major"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$major-postgis-3" >/dev/null
  fi
}

# --- Python environment ---------------------------------------------------------------------------
ensure_venv() {
  local stamp="$VENV/.installed"
  if [ ! -x "$PY" ]; then
    log "creating .venv"
    python3 -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ] || [ "$ROOT/requirements/constraints.txt" -nt "$stamp" ]; then
    log "installing gridapi and its dependencies into .venv"
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -c "$ROOT/requirements/constraints.txt" -e "$ROOT[dev]"
    touch "$stamp"
  fi
  # Translations are compiled here rather than committed as binaries.
  # The project's messages, and those an app keeps with itself (apps/<app>/locale: the console's).
  local dirs=("$ROOT/locale") dir
  for dir in "$ROOT"/apps/*/locale; do if [ -d "$dir" ]; then dirs+=("$dir"); fi; done
  if [ -n "$(find "${dirs[@]}" -name '*.po' -newer "$VAR/.messages" 2>/dev/null)" ] || [ ! -f "$VAR/.messages" ]; then
    (cd "$ROOT" && "$PY" manage.py compilemessages -v 0 --ignore .venv --ignore .var --ignore .git --ignore node_modules) \
      && touch "$VAR/.messages"
  fi
}

# --- private PostGIS ------------------------------------------------------------------------------
# PostgreSQL refuses to run as root; then the cluster belongs to the 'postgres' system user. When that
# user cannot reach the checkout (e.g. under /root), the cluster lives in a world-traversable directory
# and .var/pg points to it.
PG_RUN=""
PG_LOG=""
PG_OWNER=""
PG_STARTED_HERE=0
REDIS_STARTED_HERE=0
pg_setup_paths() {
  PG_OWNER="$(id -un)"
  [ "$(id -u)" -eq 0 ] && PG_OWNER=postgres
  local sock_dir="$VAR/run"
  PG_LOG="$VAR/log/postgres.log"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null || [ ${#sock_dir} -gt 80 ]; then
    local alt="/tmp/gridapi-$(printf '%s' "$ROOT" | sha1sum | cut -c1-10)"
    mkdir -p "$alt" && chmod 755 "$alt"
    [ -L "$VAR/pg" ] || [ -e "$VAR/pg" ] || ln -s "$alt/pg" "$VAR/pg"
    sock_dir="$alt/run"
    mkdir -p "$alt/log" && chown postgres "$alt/log"
    PG_LOG="$alt/log/postgres.log"
  fi
  PG_RUN="$sock_dir"
  mkdir -p "$PG_RUN"
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_RUN"
  true
}

# As root, the server runs as 'postgres' from / (it may not be allowed into the checkout).
pg_as_owner() { if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

pg_is_running() { pg_as_owner "$(pg_bindir)/pg_ctl" -D "$(readlink -f "$VAR/pg")" status >/dev/null 2>&1; }

start_private_postgis() {
  local bindir; bindir="$(pg_bindir)"
  pg_setup_paths
  local data; data="$(readlink -f "$VAR/pg" 2>/dev/null || echo "$VAR/pg")"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising a private PostGIS cluster in .var/pg"
    mkdir -p "$data"; [ "$(id -u)" -eq 0 ] && chown postgres "$data"
    chmod 700 "$data"
    pg_as_owner "$bindir/initdb" -D "$data" --auth=trust --encoding=UTF8 --locale=C.UTF-8 -U "$PG_OWNER" >"$VAR/log/initdb.log"
  fi
  if ! pg_is_running; then
    log "starting private PostGIS (socket $PG_RUN)"
    touch "$PG_LOG"; [ "$(id -u)" -eq 0 ] && chown postgres "$PG_LOG"
    pg_as_owner "$bindir/pg_ctl" -D "$data" -l "$PG_LOG" -w -t 60 \
      -o "-c listen_addresses='' -k '$PG_RUN' -c max_connections=200 -c shared_buffers=256MB -c fsync=${GRIDAPI_PG_FSYNC:-on}" start >/dev/null
    PG_STARTED_HERE=1
  fi
  export PGOPTIONS="--client-min-messages=warning"
  local psql=("$bindir/psql" -h "$PG_RUN" -U "$PG_OWNER" -d postgres -qAt)
  if [ -z "$("${psql[@]}" -c "select 1 from pg_database where datname='gridapi'")" ]; then
    "${psql[@]}" -c "create database gridapi"
  fi
  "$bindir/psql" -h "$PG_RUN" -U "$PG_OWNER" -d gridapi -qAt -c "create extension if not exists postgis" >/dev/null
  local host; host="$("$PY" -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$PG_RUN")"
  PRIVATE_DATABASE_URL="postgis://$PG_OWNER@$host/gridapi"
}

# Stops the cluster only if this process started it (or FORCE=1), so `make test` beside a running
# `make run` leaves the latter's database alone.
stop_private_postgis() {
  if [ "${PG_STARTED_HERE:-0}" = 1 ] || [ "${FORCE:-0}" = 1 ]; then
    pg_as_owner "$(pg_bindir)/pg_ctl" -D "$(readlink -f "$VAR/pg")" -m fast -w stop >/dev/null 2>&1 || true
    PG_STARTED_HERE=0
  fi
}

# --- private Redis --------------------------------------------------------------------------------
start_private_redis() {
  pg_setup_paths
  local sock="$PG_RUN/redis.sock"
  if ! redis-cli -s "$sock" ping >/dev/null 2>&1; then
    log "starting private Redis (socket $sock)"
    mkdir -p "$VAR/redis"
    redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --dir "$VAR/redis" \
      --daemonize yes --pidfile "$VAR/redis.pid" --logfile "$VAR/log/redis.log" --save 60 1 >/dev/null
    for _ in $(seq 50); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
    REDIS_STARTED_HERE=1
  fi
  PRIVATE_REDIS_URL="redis+socket://$sock"
}

stop_private_redis() {
  if [ "${REDIS_STARTED_HERE:-0}" = 1 ] || [ "${FORCE:-0}" = 1 ]; then
    redis-cli -s "$PG_RUN/redis.sock" shutdown >/dev/null 2>&1 || true
    REDIS_STARTED_HERE=0
  fi
}

# --- the whole bootstrap --------------------------------------------------------------------------
# Starts what is not configured and records the URLs in .var/env, which the settings read, so that
# `.venv/bin/python manage.py …` from the checkout reaches the same services with no extra environment.
bootstrap() {
  load_dotenv
  ensure_system_packages
  ensure_venv
  : >"$VAR/env.new"
  if [ -z "${DATABASE_URL:-}" ]; then
    start_private_postgis
    echo "DATABASE_URL=$PRIVATE_DATABASE_URL" >>"$VAR/env.new"
  fi
  if [ -z "${CELERY_BROKER_URL:-}" ]; then
    start_private_redis
    echo "CELERY_BROKER_URL=$PRIVATE_REDIS_URL" >>"$VAR/env.new"
    [ -n "${CACHE_URL:-}" ] || echo "CACHE_URL=$(echo "$PRIVATE_REDIS_URL" | sed 's#^redis+socket://#unix://#')" >>"$VAR/env.new"
  fi
  mv "$VAR/env.new" "$VAR/env"
}
