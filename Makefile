# Two entry points (see README): `make run` and `make test`. Both install everything first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MODEL  := models/pose_landmarker_full.task
SAMPLE ?= sample_videos/squat_good.mp4

.PHONY: install run analyze test bench clean

$(STAMP): pyproject.toml tools/install_system_deps.sh
	bash tools/install_system_deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(MODEL): $(STAMP)
	$(BIN)/formcheck models

install: $(STAMP) $(MODEL)

# Opens the app (on the camera, or the looping sample video when there is none); on a machine
# without a display it analyses the sample video and prints the summary instead.
run: install
	$(BIN)/formcheck

analyze: install
	$(BIN)/formcheck analyze $(SAMPLE) --exercise squat --out out/ --annotated

# pytest exits 5 when no test was collected; that is not a failure of the code under test.
test: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS) || [ $$? -eq 5 ]

bench: install
	$(BIN)/formcheck bench $(SAMPLE)

clean:
	rm -rf $(VENV) out build *.egg-info
