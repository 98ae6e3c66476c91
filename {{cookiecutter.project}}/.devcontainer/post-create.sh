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

# The pip list of the one environment file (already installed in the container; installed here otherwise).
mapfile -t requirements < <("$PYTHON" - <<'PY'
lines = open(".azureml/pytorch-env.yml", encoding="utf-8").read().splitlines()
start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
for line in lines[start + 1:]:
    if not line.strip().startswith("- "):
        break
    print(line.strip()[2:].split("#")[0].strip())
PY
)
"$PYTHON" -m pip install --disable-pip-version-check -q "${requirements[@]}" pytest pyyaml pre-commit
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  "$PYTHON" -m pre_commit install  # lint on commit (.pre-commit-config.yaml)
fi

"$PYTHON" src/train.py --synthetic 400 --epochs 1 --log-interval 50
echo "Ready. Log in to Azure with: az login --use-device-code"
