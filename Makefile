# make demo: create .venv, install backprop (with what `backprop train` and `backprop serve` use), run the main job.
# make test: create .venv, install backprop with the dev extra, run every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench reproduce gpu-check clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[train,serve]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed

# each demo replaces the previous demo's run (backprop train alone refuses to overwrite a finished run)
demo: $(VENV)/.installed
	$(VENV)/bin/backprop train --overwrite

# one BLAS/OpenMP thread per test worker: two workers already fill two cores. The studio's browser tests
# (tests/serve/test_browser.py) need Debian's chromium and chromium-driver; without them they skip, and the
# last line says so.
BROWSER_SKIPPED := "make test: /usr/bin/chromium or /usr/bin/chromedriver is missing, so the studio's browser \
tests (tests/serve/test_browser.py) were skipped; to run them: apt-get install chromium chromium-driver"
test: $(VENV)/.installed-dev
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile; status=$$?; \
	test -x /usr/bin/chromium && test -x /usr/bin/chromedriver || echo $(BROWSER_SKIPPED); exit $$status

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/overhead.py
	$(PY) benchmarks/workloads.py
	$(PY) benchmarks/higher_order.py
	$(PY) benchmarks/distributed.py
	$(PY) benchmarks/distributed_equivalence.py
	$(PY) benchmarks/threads.py

# the CUDA tests and the workloads against torch CUDA on a GPU (benchmarks/gpu_check.py; < 8 minutes on an H100):
# .venv's Python when make test made it (CuPy is installed into it), else $(PYTHON); no GPU: one line, exit 0
gpu-check:
	$(if $(wildcard $(PY)),$(PY),$(PYTHON)) benchmarks/gpu_check.py

reproduce: $(VENV)/.installed
	$(VENV)/bin/backprop reproduce all

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
