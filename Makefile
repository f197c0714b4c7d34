# The two commands: `make demo` and `make test`. Everything else is for development and CI.
# Needs only Python 3.11+, make and git: uv is installed into .tools/ and builds .venv/ from
# the committed uv.lock.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

I18N_IGNORE := --ignore '.venv/*' --ignore '.tools/*' --ignore 'tests/*' --ignore 'var/*' \
	--ignore 'staticfiles/*'

.PHONY: demo test env lint typecheck schema schema-check messages messages-check check-deploy \
	bench ci clean

demo: env  ## Start API, admin, worker and beat with demo data on SQLite
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py demo --port $(PORT)

test: env  ## Run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	$(PY) -m pytest

env: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen
	@touch $@

lint: env
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: env
	$(PY) -m mypy .

schema: env  ## Regenerate the committed OpenAPI file
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

schema-check: env  ## Fail when the committed OpenAPI file differs from the code
	$(PY) manage.py spectacular --validate --fail-on-warn --file var/openapi.generated.yaml
	diff -u docs/openapi.yaml var/openapi.generated.yaml

messages: env  ## Extract and compile the en/th/zh-hans message catalogues
	$(PY) manage.py makemessages --no-obsolete --no-location -l th -l zh_Hans -l en $(I18N_IGNORE)
	$(PY) manage.py compilemessages $(I18N_IGNORE)

messages-check: env  ## Fail when a committed .mo file is out of date with its .po file
	$(PY) manage.py compilemessages $(I18N_IGNORE)
	git diff --exit-code --stat -- locale

check-deploy: env  ## Django's deployment checklist against the production settings
	DJANGO_SETTINGS_MODULE=cityportal.settings.production \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	ALLOWED_HOSTS=cityportal.example.org \
	FIELD_ENCRYPTION_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	BLIND_INDEX_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" \
	$(PY) manage.py check --deploy --fail-level WARNING

bench: env  ## Benchmarks against local PostgreSQL and Redis (see bench/README.md)
	$(PY) bench/task_roundtrip.py --rate 50 --duration 20 --saturate 15
	$(PY) bench/http_conventions.py --modes closed
	$(PY) bench/complaint_intake.py
	$(PY) bench/complaint_routing.py
	$(PY) bench/staff_list.py

ci:  ## What CI runs (needs PostgreSQL and Redis; see .ci/run)
	bash .ci/run

clean:
	rm -rf $(VENV) .tools var/broker var/celerybeat-schedule*
