# gridapi — the two commands a newcomer needs:
#   make run    start the whole service with demo data (private PostGIS + Redis under .var/ unless configured)
#   make test   lint, type-check, migration and schema checks, then the full test suite
.PHONY: run test schema services stop-services lint format bench-help

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

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
