# The two commands of the README:
#   make figures [CONFIG=config/paper.yaml] [PROFILE=profiles/slurm]
#   (CONFIG may name several files, later ones overriding earlier ones)
#   make test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
CONFIG ?= config/config.yaml
PROFILE ?= profiles/default
# With SNAKEMAKE_OUTPUT_CACHE set, downloads, prepared datasets and trained models are
# shared between checkouts (rules marked `cache: "omit-software"`).
SNAKEMAKE = $(VENV)/bin/snakemake --workflow-profile $(PROFILE) --configfile $(CONFIG) \
	$(if $(SNAKEMAKE_OUTPUT_CACHE),--cache)
STAMP  = $(VENV)/.installed

.PHONY: figures rehearsal report test lint venv clean config-file

venv: $(STAMP)

# (Re)install when pyproject.toml changes; the venv itself is kept.
$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@

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
config-file:
	@for f in $(CONFIG); do why=; \
	  if [ -d "$$f" ]; then why="is a directory"; elif [ ! -e "$$f" ]; then why="does not exist"; \
	  elif [ ! -r "$$f" ]; then why="is not readable"; fi; \
	  if [ -n "$$why" ]; then echo "make: CONFIG=$$f $$why; give YAML config file(s)," \
	    "e.g. CONFIG=config/config.yaml (keys: config/README.md)" >&2; exit 2; fi; done

# the report in the same run (--report-after-run): a second snakemake would rebuild the DAG
figures: config-file $(STAMP)
	@$(LOCKED) $(SNAKEMAKE) --report figures/report.html --report-after-run || { rc=$$?; \
	  [ $$rc -ne 75 ] || \
	  echo "make: another 'make figures' is running in this directory (.snakemake/make.flock)"; exit $$rc; }

# The paper config with generated stand-in data and tiny budgets (config/rehearsal.yaml).
rehearsal:
	@$(MAKE) --no-print-directory figures CONFIG="config/paper.yaml config/rehearsal.yaml"

report: config-file $(STAMP)
	$(SNAKEMAKE) --report figures/report.html

# pytest exits 5 when it collects no test: not a failure of the suite.
test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS) || test $$? -eq 5

lint: config-file $(STAMP)
	$(SNAKEMAKE) --lint

clean:
	rm -rf results figures logs .snakemake
