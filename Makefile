# Two commands matter: `make serve` and `make test`. Every step below is
# idempotent and cached by a stamp or by the step itself, so reruns are fast.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODEL_DIR := .cache/models/multilingual-e5-small
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install model index reader chromium serve test test-fast lint eval bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

$(MODEL_DIR)/conversion.json: $(STAMP)
	$(PY) -m rag.e5convert $(MODEL_DIR)

# The int8 question encoder for ONNX Runtime (rag/query_onnx.py); the script skips when its manifest matches.
$(MODEL_DIR)/onnx/query-int8.json: $(MODEL_DIR)/conversion.json rag/query_onnx.py
	$(PY) -m rag.query_onnx $(MODEL_DIR)

model: $(MODEL_DIR)/conversion.json $(MODEL_DIR)/onnx/query-int8.json

index: model
	$(PY) -m rag.cli index

# The reader (rag/answer/reader.py): trained on eval/data/train.jsonl, threshold from dev; skipped when its manifest matches.
reader: index
	$(PY) -m rag.cli train

chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

serve: reader
	$(PY) -m rag.cli serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(VENV)/bin/ruff check rag api eval tests
	$(VENV)/bin/ruff format --check rag api eval tests
	$(VENV)/bin/mypy

test: reader chromium lint
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser"

eval: reader
	$(PY) -m rag.cli eval

bench: reader
	$(PY) -m eval.bench

clean:
	rm -rf index/builds index/current index/cache index/reader .pytest_cache .mypy_cache .ruff_cache
