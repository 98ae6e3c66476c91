"""The serving environment of src/score.py: its conda file, its packages, where its Python is; serving locally.

    python aml/serving.py > serving.txt && pip install -r serving.txt    # a virtual environment of it, without conda
    python aml/serving.py serve                                          # serve outputs/model.pt on port 5001

It runs as a file (it needs PyYAML alone, to read the list), so that a new environment can be made from the one list.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".azureml" / "serving-env.yml"
# The lock of the serving environment, each package at one version: read in place of ENV_FILE's ranges once made.
LOCK_FILE = ROOT / ".azureml" / "lock" / "serving.txt"
SOURCE_DIR = ROOT / "src"
MODEL_DIR = ROOT / "outputs"  # where train.py saves model.pt
PORT = 5001  # azmlinfsrv's own default
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


def serve(model_dir=MODEL_DIR, port=PORT):
    """Run Azure ML's inference server on src/score.py and the model in model_dir until stopped; its exit status.
    Without a serving environment or a model, one line that says how to get it."""
    found = python()
    if found is None:
        where = os.environ.get(PYTHON_VARIABLE) or f"{CONTAINER_PYTHON} (the dev container's)"
        print(f"error: no serving environment's Python at {where}. Fix: {MAKE_IT}.", file=sys.stderr)
        return 1
    if not any(Path(model_dir).rglob("model.pt")):
        print(
            f"error: there is no model.pt in {model_dir}. Fix: train one (python src/train.py --synthetic 2000), or "
            "give a model's folder: --model-dir PATH",
            file=sys.stderr,
        )
        return 1
    command = server_command(found, Path(model_dir).resolve(), port)
    print(f"Serving {model_dir} with score.py at http://127.0.0.1:{port}/score (stop it with Ctrl-C)", flush=True)
    try:
        return subprocess.run(command, cwd=SOURCE_DIR).returncode
    except KeyboardInterrupt:
        return 0


def main(argv=None):
    """Print the serving environment's pip requirements, one a line; or `serve` the model locally."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    server = commands.add_parser("serve", help="serve a model with src/score.py in Azure ML's inference server")
    server.add_argument("--model-dir", default=str(MODEL_DIR), help="the folder that holds model.pt (default: outputs)")
    server.add_argument("--port", type=int, default=PORT, help=f"the port on this machine (default: {PORT})")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.model_dir, args.port)
    print("\n".join(packages()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
