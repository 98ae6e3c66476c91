"""The serving environment of src/score.py: its conda file, its packages, and where its Python is on this machine.

    python aml/serving.py > serving.txt && pip install -r serving.txt    # a virtual environment of it, without conda

It runs as a file too (it needs PyYAML alone), so that a new environment can be made from the one list.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".azureml" / "serving-env.yml"
# The lock of the serving environment, each package at one version: read in place of ENV_FILE's ranges once made.
LOCK_FILE = ROOT / ".azureml" / "lock" / "serving.txt"
ENTRY_SCRIPT = "score.py"  # in src/, the folder the server (and the deployment's code configuration) runs it in
# The serving environment's Python: this variable names it; the dev container has it at CONTAINER_PYTHON.
PYTHON_VARIABLE = "AML_SERVING_PYTHON"
CONTAINER_PYTHON = Path("/opt/conda/envs/serving-env/bin/python")
MAKE_IT = (
    f"conda env create -f .azureml/serving-env.yml -p /opt/conda/envs/serving-env, or python -m venv ~/serving-env "
    f"&& python aml/serving.py > serving.txt && ~/serving-env/bin/pip install -r serving.txt, then set "
    f"{PYTHON_VARIABLE}=~/serving-env/bin/python"
)


def packages(env_file=ENV_FILE):
    """The pip requirements of the serving environment, one a string: the one reader of its package list."""
    import yaml

    environment = yaml.safe_load(Path(env_file).read_text(encoding="utf-8")) or {}
    entries = environment.get("dependencies") or []
    return [spec for entry in entries if isinstance(entry, dict) for spec in entry.get("pip") or []]


def python():
    """The serving environment's Python: $AML_SERVING_PYTHON, else the dev container's; None when neither is there."""
    named = os.environ.get(PYTHON_VARIABLE)
    path = Path(named).expanduser() if named else CONTAINER_PYTHON
    return path if path.is_file() else None


def server_command(python_path, model_dir, port):
    """The command that serves the model in model_dir with Azure ML's inference server, to run in src/."""
    return [
        str(python_path), "-m", "azureml_inference_server_http.amlserver",
        "--entry_script", ENTRY_SCRIPT, "--model_dir", str(model_dir), "--port", str(port),
    ]  # fmt: skip


def main():
    """Print the serving environment's pip requirements, one a line."""
    print("\n".join(packages()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
