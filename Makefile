# Two commands a newcomer needs:  `make book`  and  `make test`.
# Both create .venv from the pinned versions in constraints.txt when it is missing or out of date.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# This machine keeps the CPU build of torch 2.13.0 in /opt/wheels; elsewhere use PyTorch's CPU index.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,--extra-index-url https://download.pytorch.org/whl/cpu)
PYTEST_ARGS ?=

.PHONY: install book test lint notebooks course clean

MATHJAX := 3.2.2
SITE_EXTRA := _build/site-extra

install: $(VENV)/.installed $(SITE_EXTRA)/_static/mathjax/tex-chtml.js

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(FIND_LINKS) -c constraints.txt --config-settings editable_mode=compat -e ".[test]"
	touch $@

# MathJax is served by the site itself (no CDN): npm's mathjax package, copied where _config.yml points.
$(SITE_EXTRA)/_static/mathjax/tex-chtml.js:
	npm install --silent --no-audit --no-fund --prefix _build/npm mathjax@$(MATHJAX)
	mkdir -p $(SITE_EXTRA)/_static/mathjax
	cp -r _build/npm/node_modules/mathjax/es5/. $(SITE_EXTRA)/_static/mathjax/

# The build also writes each chapter's learner notebook into the site (_build/html/notebooks/, autograder/book.py).
book: install                 ## build the website into _build/html (offline, warnings are errors)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

test: install                 ## run the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

notebooks: $(VENV)/.installed  ## learner notebooks (.ipynb) generated from chapters/ into notebooks/
	$(PY) -m autograder notebooks --out notebooks

course: $(VENV)/.installed     ## nbgrader course directory (source notebooks with solutions) into course/
	$(PY) -m autograder course --out course

clean:
	rm -rf _build course notebooks

# The course model (issue 13): trained deterministically (fixed seed, one thread) on the shipped Shakespeare corpus,
# ~45 min on a quiet core. Writes data/course_model/{config.json,model.safetensors,training_log.csv,summary.json};
# REPORT.md beside them is written by hand from summary.json (tests/test_course_model.py checks that they agree).
.PHONY: course-model
course-model: $(VENV)/.installed
	nice -n 19 $(PY) -m solutions.ch09_training --out data/course_model

# Gradescope: one autograder zip per chapter (setup.sh, run_autograder, the course runtime) into _build/gradescope/
# (guide/instructors.md, "Gradescope"; tests/test_gradescope.py runs a zip as Gradescope would).
.PHONY: gradescope
gradescope: $(VENV)/.installed
	$(PY) -m autograder gradescope --out _build/gradescope
