#!/usr/bin/env bash
# After the dev container is created: the tools of .azureml/lock/dev-tools.txt in the training environment, then a
# short offline training run. Outside a container it does the same for the Python in $PYTHON, installing the lock of
# PyTorch's CPU build (.azureml/lock/cpu.txt) first.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-/opt/conda/envs/{{ cookiecutter.__env_name }}/bin/python}"
if [ ! -x "$PYTHON" ]; then
  echo "error: no Python at $PYTHON. Fix: build the dev container, or run with PYTHON=/path/to/python." >&2
  exit 1
fi

# The lock: in the container, the one the image was built with (the training environment's own pip.conf names it:
# CPU or CUDA 12.6); elsewhere PyTorch's CPU build's. LOCK set (a path from the project folder) picks another.
if [ -z "${LOCK:-}" ]; then
  LOCK="$("$PYTHON" -m pip config --site get install.constraint 2>/dev/null || echo .azureml/lock/cpu.txt)"
fi

# The environment and the tools at the lock's versions, in one install. Without -U: what is installed already at
# those versions (in the container: all the image built) is kept.
"$PYTHON" -m pip install --disable-pip-version-check --progress-bar off -r "$LOCK" -r .azureml/lock/dev-tools.txt
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  "$PYTHON" -m pre_commit install  # lint on commit (.pre-commit-config.yaml)
fi

# The az login volume keeps the Azure CLI's extensions from an earlier build: bring its ml extension up to date.
if command -v az >/dev/null 2>&1; then
  az extension add --name ml --upgrade --yes || echo "warning: the Azure CLI's ml extension was not updated (offline?)"
else
  echo "No Azure CLI here (az): its ml extension is not updated."
fi

"$PYTHON" src/train.py --synthetic 400 --epochs 1 --log-interval 50
echo "Ready. Log in to Azure with: az login --use-device-code"
