#!/usr/bin/env bash
# make run: bootstrap, migrate, load the demo, then serve with gunicorn + Celery worker + beat.
# Ctrl-C stops everything this script started, including the private PostGIS and Redis.
source "$(dirname "$0")/lib.sh"

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-gridapi.settings.local}"

bootstrap
cd "$ROOT"
log "migrating"
"$PY" manage.py migrate --no-input -v 0
"$PY" manage.py createcachetable
log "loading demo data"
"$PY" manage.py load_demo
"$PY" manage.py collectstatic --no-input -v 0

pids=()
cleanup() {
  trap - INT TERM EXIT
  log "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_private_redis
  stop_private_postgis
}
trap cleanup INT TERM EXIT

"$VENV/bin/gunicorn" gridapi.wsgi:application --bind "$HOST:$PORT" --workers "${WEB_CONCURRENCY:-2}" \
  --access-logfile - --graceful-timeout 10 &
pids+=($!)
"$VENV/bin/celery" -A gridapi worker -Q celery,webhooks --loglevel INFO --concurrency "${CELERY_CONCURRENCY:-2}" \
  --logfile "$VAR/log/celery-worker.log" &
pids+=($!)
"$VENV/bin/celery" -A gridapi beat --loglevel INFO --schedule "$VAR/celerybeat-schedule" \
  --logfile "$VAR/log/celery-beat.log" &
pids+=($!)

for _ in $(seq 60); do curl -fsS "http://$HOST:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
cat >&2 <<MSG

  gridapi is running.
    API          http://$HOST:$PORT/api/v1/
    Swagger UI   http://$HOST:$PORT/api/docs/
    Redoc        http://$HOST:$PORT/api/docs/redoc/
    Admin        http://$HOST:$PORT/admin/
    Ready?       http://$HOST:$PORT/readyz
    Logs         .var/log/ (Celery), this terminal (web)

  Demo logins (password for all: gridapi-demo)
    admin          administrator (Django admin too)
    dispatcher     dispatcher for the whole district (350205)
    dispatcher_xy  dispatcher for 新阳街道
    worker_xa1     grid worker, 新垵村 grids 01–02
    worker_xa2     grid worker, 新垵村 grids 02–03
    worker_hh1     grid worker, 海虹社区 grids 01–03
    police_xy      staff of 新阳派出所
    civil_hc       staff of 海沧区民政局
  !!! DEMO ONLY: these accounts and passwords are public. Never load the demo on a real deployment. !!!

  Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
log "a process exited; stopping the others"
