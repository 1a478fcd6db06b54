# The two commands of the README:
#   make figures [CONFIG=config/paper.yaml] [PROFILE=profiles/slurm]
#   make test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
CONFIG ?= config/config.yaml
PROFILE ?= profiles/default
SNAKEMAKE = $(VENV)/bin/snakemake --workflow-profile $(PROFILE) --configfile $(CONFIG)
STAMP  = $(VENV)/.installed

.PHONY: figures report test lint venv clean

venv: $(STAMP)

# (Re)install when pyproject.toml changes; the venv itself is kept.
$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@

figures: $(STAMP)
	$(SNAKEMAKE)
	$(MAKE) --no-print-directory report

report: $(STAMP)
	$(SNAKEMAKE) --report figures/report.html

# pytest exits 5 when it collects no test: not a failure of the suite.
test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS) || test $$? -eq 5

lint: $(STAMP)
	$(SNAKEMAKE) --lint

clean:
	rm -rf results figures logs .snakemake
