# Two entry points (see README): `make run` and `make test`. Both install everything first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MODEL  := models/pose_landmarker_full.task
SAMPLE ?= sample_videos/squat_good.mp4

.PHONY: install run analyze test lint mypy-baseline bench soak lock clean

# constraints.txt pins the whole dependency set (see README, "Upgrading dependencies").
$(STAMP): pyproject.toml constraints.txt tools/install_system_deps.sh
	bash tools/install_system_deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
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
test: install lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS) || [ $$? -eq 5 ]

# The habits, enforced: ruff, the package contracts (formcheck/README.md; Qt only in ui,
# MediaPipe only in pose), and mypy — any finding not in
# mypy-baseline.txt fails; fixing old ones never fails (then `make mypy-baseline` shrinks the file).
lint: install
	$(BIN)/ruff check formcheck
	$(BIN)/lint-imports
	$(BIN)/mypy | $(BIN)/mypy-baseline filter --allow-unsynced

mypy-baseline: install
	$(BIN)/mypy | $(BIN)/mypy-baseline sync

bench: install
	$(BIN)/formcheck bench $(SAMPLE)

# A long live session (the real app offscreen, looping a clip with recording and speech on);
# prints memory, fps, latency and drops every 30 s. SOAK_MINUTES=10 for the release check.
SOAK_MINUTES ?= 10
soak: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python tools/soak.py --minutes $(SOAK_MINUTES)

# Upgrade on purpose: resolve the newest allowed versions in a scratch venv, run the tests there,
# and only then rewrite constraints.txt. Review the diff, run `make soak`, commit.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[test]'
	QT_QPA_PLATFORM=offscreen .venv-lock/bin/python -m pytest -q -m "not soak"
	{ head -5 constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^#'; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .venv-lock
	git diff --stat constraints.txt

clean:
	rm -rf $(VENV) out build *.egg-info
