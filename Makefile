# The two commands of the README:
#   make figures [CONFIG=config/paper.yaml] [PROFILE=profiles/slurm]
#   (CONFIG may name several files, later ones overriding earlier ones)
#   make test
# and `make data [CONFIG=...]`, the first step of `make figures`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
CONFIG ?= config/config.yaml
PROFILE ?= profiles/default
# With SNAKEMAKE_OUTPUT_CACHE set, downloads, prepared datasets and trained models are
# shared between checkouts (rules marked `cache: "omit-software"`).
SNAKEMAKE = $(VENV)/bin/snakemake --workflow-profile $(PROFILE) --configfile $(CONFIG) \
	$(if $(SNAKEMAKE_OUTPUT_CACHE),--cache)
STAMP  = $(VENV)/.installed

.PHONY: figures publish rehearsal report test lint venv extras clean config-file data bench-table config-doc

venv: $(STAMP) extras

# (Re)install when pyproject.toml changes; the venv itself is kept.
$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@

# The extras CONFIG needs (python -m attrobust.extras): `paper` (torchvision, paired with the
# pinned torch) when an enabled figure uses a torchvision architecture (config/paper.yaml).
# torchvision has no CPU-only build: with a CPU-only torch wheel it does not import, and
# this stops here, on the login node, not in a queued GPU job.
extras: config-file $(STAMP)
	@extra=$$($(VENV)/bin/python -m attrobust.extras $(CONFIG)) || exit 1; \
	if [ -n "$$extra" ] && ! $(VENV)/bin/python -c 'import torchvision' 2>/dev/null; then \
	  echo "make: $(CONFIG) uses torchvision architectures: pip install -e '.[test,$$extra]'"; \
	  $(VENV)/bin/python -m pip install --quiet -e ".[test,$$extra]" || exit 1; \
	  $(VENV)/bin/python -c 'import torchvision' || { echo "make: torchvision $$($(VENV)/bin/python -m pip show \
	    torchvision 2>/dev/null | sed -n 's/^Version: //p') does not import with this torch (a CPU-only torch wheel?);" \
	    "install PyPI's torch==2.13.0 in $(VENV) (pip install --force-reinstall --no-deps torch==2.13.0)" >&2; exit 1; }; \
	fi

# A run that was killed (SIGKILL, out of memory, a lost node) leaves snakemake's lock in
# .snakemake/locks, and every later run stops with 'Directory cannot be locked'. make holds
# .snakemake/make.flock while snakemake runs (the kernel drops it when the process dies): if
# make gets it, no other make run is active here, so leftover locks are stale and cleared
# (`snakemake --unlock`). Runs started with plain `snakemake` don't take it (docs/reproducibility.md).
FLOCK = $(shell command -v flock)
UNLOCK_STALE = if [ -n "$$(ls -A .snakemake/locks 2>/dev/null)" ]; then \
	echo "make: no other run here holds .snakemake/make.flock: clearing the stale lock"; \
	$(SNAKEMAKE) --unlock; fi
ifneq ($(FLOCK),)
LOCKED = mkdir -p .snakemake && $(FLOCK) -n -E 75 .snakemake/make.flock \
	sh -c '$(UNLOCK_STALE) && exec "$$@"' sh
else
LOCKED =
endif

# snakemake reads --configfile before the workflow's own checks and answers a missing file
# or a directory with a Python traceback: say it in one line instead.
# CONFIG may name several files, later ones overriding earlier ones (snakemake's --configfile),
# e.g. CONFIG="config/paper.yaml my-site.yaml" with your own mirrors in an untracked file.
config-file:
	@for c in $(or $(CONFIG),""); do why=; \
	  if [ -d "$$c" ]; then why="is a directory"; elif [ ! -e "$$c" ]; then why="does not exist"; \
	  elif [ ! -r "$$c" ]; then why="is not readable"; fi; \
	  if [ -n "$$why" ]; then echo "make: CONFIG=$$c $$why; give a YAML config file," \
	    "e.g. CONFIG=config/config.yaml (keys: config/README.md)" >&2; exit 2; fi; done

# The Debian packages the config's datasets come from (config/fashion.yaml: dataset-fashion-mnist,
# r-cran-mlbench), installed with apt-get when this runs as root on Debian and they are missing;
# elsewhere one line says what to install, and the workflow's config check stops before any job
# (attrobust.debian).
data: config-file $(STAMP)
	@PYTHONPATH=src $(VENV)/bin/python -m attrobust.debian $(CONFIG)

# the report in the same run (--report-after-run): a second snakemake would rebuild the DAG
figures: config-file $(STAMP) extras data
	@$(LOCKED) $(SNAKEMAKE) --report figures/report.html --report-after-run || { rc=$$?; \
	  [ $$rc -ne 75 ] || \
	  echo "make: another 'make figures' is running in this directory (.snakemake/make.flock)"; exit $$rc; }

# A run's ledger and figures, published with the code under docs/results/<tier>/ (the last
# config's stem; config/config.yaml: default). Runs `make figures` first, so what is copied is
# CONFIG's results at this commit (nothing reruns when they are current).
publish: figures
	@PYTHONPATH=src $(VENV)/bin/python -m attrobust.publish --config $(CONFIG)

# The paper config with generated stand-in data and tiny budgets (config/rehearsal.yaml).
rehearsal:
	@$(MAKE) --no-print-directory figures CONFIG="config/paper.yaml config/rehearsal.yaml"

report: config-file $(STAMP)
	$(SNAKEMAKE) --report figures/report.html

# pytest exits 5 when it collects no test: not a failure of the suite. TEST_WORKERS pytest-xdist
# processes (0: none) take the test modules one at a time, the slowest first (tests/conftest.py);
# the workflow runs the modules share are made once (tests/_workflow.py: shared_run).
TEST_WORKERS ?= 2
test: $(STAMP)
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder \
	  $(PYTEST_ARGS) || test $$? -eq 5

lint: config-file $(STAMP)
	$(SNAKEMAKE) --lint

# config/README.md from the schema's descriptions and defaults (tests/test_configdoc.py checks it).
config-doc: $(STAMP)
	$(VENV)/bin/python -m attrobust.configdoc

# Runtime and peak memory per rule, from the jobs' benchmark files (logs/benchmarks/).
bench-table: $(STAMP)
	@$(VENV)/bin/python -m attrobust.benchtable

clean:
	rm -rf results figures logs .snakemake
