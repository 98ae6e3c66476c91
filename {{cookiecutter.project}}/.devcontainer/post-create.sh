#!/usr/bin/env bash
# After the dev container is created: test tools in the training environment, then a short offline training run.
# Outside a container it does the same for the Python in $PYTHON (it installs .azureml/pytorch-env.yml's pip list).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-/opt/conda/envs/{{ cookiecutter.__env_name }}/bin/python}"
if [ ! -x "$PYTHON" ]; then
  echo "error: no Python at $PYTHON. Fix: build the dev container, or run with PYTHON=/path/to/python." >&2
  exit 1
fi

# PyTorch's build comes from pip constraints: in the container, the training environment's own pip.conf (CPU or
# CUDA, written when the image was built); elsewhere PyTorch's CPU build. A PIP_CONSTRAINT already set is kept (set
# it empty to leave pip's own settings).
if [ -z "${PIP_CONSTRAINT+set}" ] && ! "$PYTHON" -m pip config --site get install.constraint >/dev/null 2>&1; then
  export PIP_CONSTRAINT=.azureml/torch-cpu.txt  # a path from the project folder
fi

# PyYAML, to read the environment file.
"$PYTHON" -m pip install --disable-pip-version-check -q pyyaml

# The pip list of the one environment file, as a requirements file (so option lines such as --extra-index-url work),
# and the test and lint tools, in one install: pip picks versions that suit them all (alone, pre-commit could move a
# package that the list pins). Without -U: what is installed already (in the container: all the image built) is kept.
requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT
"$PYTHON" - "$requirements" <<'PY'
import sys

import yaml

with open(".azureml/pytorch-env.yml", encoding="utf-8") as file:
    environment = yaml.safe_load(file)
pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict) and "pip" in item)
with open(sys.argv[1], "w", encoding="utf-8") as file:
    file.writelines(f"{line}\n" for line in pip)
PY
"$PYTHON" -m pip install --disable-pip-version-check --progress-bar off -r "$requirements" pytest pre-commit
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
