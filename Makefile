# Two commands on a fresh machine: `make run` serves the chat, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install run index test chromium ocr eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch lies on local disk; installing it first keeps pip from fetching CUDA.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test,ray]'
	touch $(STAMP)

install: $(STAMP)

# The browser test drives Debian's Chromium (Playwright's own browser download does not work offline).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "Could not install chromium: the browser test will be skipped."

# Scanned PDFs are read by Debian's Tesseract (its English model comes with the package); without it
# docqa skips them, saying so.
ocr:
	@command -v tesseract >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq tesseract-ocr >/dev/null) \
		|| echo "Could not install tesseract-ocr: scanned PDFs will be skipped, and their tests too."

index: $(STAMP)
	$(VENV)/bin/docqa index

run: $(STAMP) ocr
	$(VENV)/bin/docqa serve

test: $(STAMP) chromium ocr
	$(PY) -m pytest

eval: $(STAMP)
	$(VENV)/bin/docqa eval evaluation/qa.jsonl
	$(VENV)/bin/docqa eval evaluation/heldout.jsonl
	$(VENV)/bin/docqa eval evaluation/extra/qa.jsonl --corpus evaluation/extra/corpus --index evaluation/extra/index
	$(VENV)/bin/docqa eval evaluation/papers/qa.jsonl --corpus evaluation/papers/corpus --index evaluation/papers/index

clean:
	rm -rf $(VENV) index/CURRENT index/build-* index/.partial-*
