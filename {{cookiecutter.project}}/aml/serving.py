"""The serving environment of src/score.py: its conda file, its packages, where its Python is; serving locally.

    python aml/serving.py make ~/serving-env     # a virtual environment of it, without conda (or: conda env create)
    python aml/serving.py serve                  # serve outputs/model.pt on port 5001 (AML_SERVING_PYTHON names it)
    python aml/serving.py                        # its pip list, one requirement a line

It runs as a file, needing nothing installed, so that a new environment can be made from the lock.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".azureml" / "serving-env.yml"
# The serving environment's lock (aml/lock.py makes it from ENV_FILE): what is installed, one version each
LOCK_FILE = ROOT / ".azureml" / "lock" / "serving.txt"
SOURCE_DIR = ROOT / "src"
MODEL_DIR = ROOT / "outputs"  # where train.py saves model.pt
PORT = 5001  # azmlinfsrv's own default
ENTRY_SCRIPT = "score.py"  # in src/, the folder the server (and the deployment's code configuration) runs it in
# The serving environment's Python: this variable names it (the dev container sets it: devcontainer.json).
PYTHON_VARIABLE = "AML_SERVING_PYTHON"
MAKE_IT = (
    "make it (python aml/serving.py make ~/serving-env, or conda env create -f .azureml/serving-env.yml -p "
    f"~/serving-env) and set {PYTHON_VARIABLE} to its Python (~/serving-env/bin/python); the dev container has it"
)


def packages(lock_file=LOCK_FILE):
    """The pip requirements of the serving environment, one a string: its lock's options and pins (markers kept, for
    the pip that installs them). The one reader of the serving packages; no lock, one line with the fix."""
    try:
        text = Path(lock_file).read_text(encoding="utf-8")
    except OSError as err:
        raise SystemExit(
            f"error: the serving lock {lock_file} cannot be read ({err.strerror}). Fix: restore it "
            "(git checkout -- .azureml/lock/), or make it again: python aml/lock.py"
        ) from None
    lines = [line.split(" #")[0].strip() for line in text.splitlines() if not line.startswith("#")]
    return [line for line in lines if line]


def python():
    """The serving environment's Python that $AML_SERVING_PYTHON names; None when it is not set or not there."""
    named = os.environ.get(PYTHON_VARIABLE)
    path = Path(named).expanduser().absolute() if named else None
    return path if path and path.is_file() else None


def server_environment():
    """The environment variables for the server: these, without PYTHONPATH and PYTHONHOME (paths meant for another
    Python would mix its packages into the serving environment's)."""
    return {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "PYTHONHOME")}


def make(folder):
    """Make a virtual environment of the serving lock (PyTorch's CPU build, from its index) at folder with this
    Python; say how to name it. Its exit status."""
    folder = Path(folder).expanduser().absolute()
    print(f"Making the serving environment in {folder} ...", flush=True)
    venv.create(folder, with_pip=True)
    python_path = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch, "serving.txt")
        requirements.write_text("\n".join(packages()) + "\n", encoding="utf-8")
        command = [str(python_path), "-m", "pip", "install", "--disable-pip-version-check", "-r", str(requirements)]
        if subprocess.run(command).returncode != 0:
            print("error: pip could not install the serving list (its messages are above). Fix: check the network "
                  "(and PIP_CONSTRAINT, PIP_INDEX_URL where set), then run again.", file=sys.stderr)  # fmt: skip
            return 1
    print(f"Ready. Name it for the tasks and tests: {PYTHON_VARIABLE}={python_path}")
    return 0


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
        named = os.environ.get(PYTHON_VARIABLE)
        problem = f"no serving environment's Python at {named}" if named else f"{PYTHON_VARIABLE} is not set"
        print(f"error: {problem}. Fix: {MAKE_IT}.", file=sys.stderr)
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
        return subprocess.run(command, cwd=SOURCE_DIR, env=server_environment()).returncode
    except KeyboardInterrupt:
        return 0


def main(argv=None):
    """Print the serving environment's pip requirements, one a line; or `serve` the model locally."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    maker = commands.add_parser("make", help="make a virtual environment of the serving list (without conda)")
    maker.add_argument("folder", help="where, such as ~/serving-env")
    server = commands.add_parser("serve", help="serve a model with src/score.py in Azure ML's inference server")
    server.add_argument("--model-dir", default=str(MODEL_DIR), help="the folder that holds model.pt (default: outputs)")
    server.add_argument("--port", type=int, default=PORT, help=f"the port on this machine (default: {PORT})")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.model_dir, args.port)
    if args.command == "make":
        return make(args.folder)
    print("\n".join(packages()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
