# gridapi — the two commands a newcomer needs:
#   make run    start the whole service with demo data (private PostGIS + Redis under .var/ unless configured)
#   make test   lint, type-check, migration and schema checks, then the full test suite
.PHONY: run test scale-out schema services stop-services lint format bench-help

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

# Only the scale-out test (two web processes behind a balancer, two Celery workers, beat, one worker killed);
# SCALE_OUT_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// runs it on RabbitMQ instead of the private Redis.
scale-out:
	@bash -c 'source scripts/lib.sh && export DJANGO_SETTINGS_MODULE=gridapi.settings.test && bootstrap && cd "$$ROOT" && trap "stop_private_redis; stop_private_postgis" EXIT && "$$VENV/bin/pytest" -p no:cacheprovider tests/test_scale_out.py'

# Regenerate the committed OpenAPI schema after an API change.
schema:
	@bash -c 'source scripts/lib.sh && bootstrap && cd "$$ROOT" && $$PY manage.py spectacular --validate --fail-on-warn --file openapi/schema.yaml'

# Start only the private PostGIS/Redis (for manage.py or an IDE), and stop them.
services:
	@bash -c 'source scripts/lib.sh && bootstrap'

stop-services:
	@bash -c 'source scripts/lib.sh && load_dotenv && pg_setup_paths && FORCE=1 stop_private_redis && FORCE=1 stop_private_postgis'

format:
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .
