# One entry point for everything. Every target creates the virtual environment
# first when it is missing, so a fresh machine needs only Python 3.11 and pip.
#
#   make help                 this list
#   make test                 install, then run the default test suite
#   make smoke                both models end to end on a slice of CIFAR-10 (minutes; scratch folder under runs/)
#   make reproduce            Imagenette: AlexNet vs dense SIFT + Fisher vectors
#   make reproduce-cifar10    the same comparison on CIFAR-10, 3 seeds of each model (CPU-friendly)
#   make reproduce-cifar10-ensemble   the paper's ensemble row at CIFAR scale (the 3 seeds' networks)
#   make reproduce-tiny-imagenet      200 ImageNet classes at 64 px, top-5 as in the paper (~5.9 h on 2 cores)
#   make reproduce-tiny-imagenet-classes   both models at 10, 50 and 200 of those classes
#   make reproduce-imagenet   the paper's ILSVRC-2012 run (GPUs and the archives)
#   make reproduce-scaling    error against training images per class, both models
#   make reproduce-baseline-ablation   what K, pyramid and colour add to the Fisher vectors
#   make reproduce-transfer   Imagenette at 64 px: Tiny-ImageNet fc7 probe and fine-tuning vs from-scratch CNN vs FV
#   make reproduce-ablations  the paper's design claims (ReLU, LRN, pooling, towers, PCA noise, dropout, ten crops) on CIFAR-10
#   make tables figures notebooks bench
#   make tensorboard          TensorBoard on the run folders (http://localhost:6006)
#   make reproduce-cifar10 ARGS="epochs=3"   extra arguments for the driver

PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
DATA_DIR ?= ../shared/data
RUNS_DIR ?= runs
ARGS     ?=
export DATA_DIR RUNS_DIR
# Quiet TensorFlow's C++ start-up banner and its info and warning lines; errors still show.
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: smoke help install install-vlfeat install-torch test reproduce reproduce-cifar10 reproduce-cifar10-ensemble reproduce-tiny-imagenet reproduce-tiny-imagenet-classes reproduce-imagenet \
        reproduce-scaling reproduce-baseline-ablation reproduce-transfer reproduce-ablations tables figures notebooks bench tensorboard clean-venv

help:
	@sed -n 's/^#   make /make /p' Makefile

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-vlfeat.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3'"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	# The repository itself, editable: `import alexnet` (which a reloaded model.keras
	# needs) then works from any folder.
	$(PY) -m pip install --quiet --no-deps -e .
	# VLFeat (the baseline) needs a C library; without root it is left out with a note.
	if bash scripts/install_vlfeat.sh; then \
	  $(PY) -m pip install --quiet --no-build-isolation -r requirements-vlfeat.txt; fi
	touch $@

# torch for the torchvision-weights converter and its parity test (tests skip it
# without torch). PyPI's default torch is the 2.5 GB CUDA build, so this takes a
# CPU wheel: a local one from TORCH_WHEELS if there is one, else PyTorch's CPU index.
TORCH_WHEELS ?= /opt/wheels
install-torch: install
	if ls $(TORCH_WHEELS)/torch-*+cpu-*.whl >/dev/null 2>&1; then \
	  $(PY) -m pip install --quiet $$(ls $(TORCH_WHEELS)/torch-*+cpu-*.whl | tail -1); \
	else $(PY) -m pip install --quiet torch --index-url https://download.pytorch.org/whl/cpu; fi

# VLFeat added later (e.g. after `conda install -c conda-forge vlfeat`).
install-vlfeat: install
	bash scripts/install_vlfeat.sh
	$(PY) -m pip install --quiet --no-build-isolation -r requirements-vlfeat.txt

test: install
	$(PY) -m pytest -q -n 2 tests

smoke: install
	$(PY) -m drivers.smoke $(ARGS)

reproduce: install
	$(PY) -m drivers.reproduce imagenette $(ARGS)

reproduce-cifar10: install
	$(PY) -m drivers.reproduce cifar10 --seeds 3 $(ARGS)

reproduce-cifar10-ensemble: install
	$(PY) -m alexnet.ensemble --config experiments/cifar10_ensemble.py
	$(PY) -m reporting.tables --scale cifar10

reproduce-tiny-imagenet: install
	$(PY) -m drivers.reproduce tiny_imagenet $(ARGS)

reproduce-tiny-imagenet-classes: install
	$(PY) -m drivers.classes $(ARGS)

reproduce-imagenet: install
	$(PY) -m drivers.reproduce imagenet2012 $(ARGS)

reproduce-scaling: install
	$(PY) -m drivers.scaling $(ARGS)

reproduce-baseline-ablation: install
	$(PY) -m drivers.baseline_ablation $(ARGS)

reproduce-transfer: install
	$(PY) -m drivers.transfer $(ARGS)

reproduce-ablations: install
	$(PY) -m drivers.ablations $(ARGS)

tables: install
	$(PY) -m reporting.tables

figures: install
	$(PY) -m reporting.figures

notebooks: install
	$(PY) -m reporting.notebooks

bench: install
	$(PY) -m scripts.bench

tensorboard: install
	$(VENV)/bin/tensorboard --logdir $(RUNS_DIR) --port $${PORT:-6006}

clean-venv:
	rm -rf $(VENV)
