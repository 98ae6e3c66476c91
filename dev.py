"""Contributor commands: `python dev.py demo` bakes a project and trains it offline; `python dev.py test` runs all tests."""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements-dev.txt"
# The serving environment the project's score.py runs in, its own (Azure ML's inference server does not start beside
# azure-ai-ml and MLflow): the project's serving lock (the same for both SDKs), with serving-constraints.txt's PyTorch.
SERVING_VENV = ROOT / ".venv-serving"
SERVING_LOCK = ROOT / "{{cookiecutter.project}}" / "_sdk" / "v1" / ".azureml" / "lock" / "serving.txt"
SERVING_CONSTRAINTS = ROOT / "serving-constraints.txt"
SERVING_VARIABLE = "AML_SERVING_PYTHON"  # where the project's tests find it (aml/serving.py's PYTHON_VARIABLE)
DEMO_DIR = ROOT / "build" / "demo"
DEMO_TRAINING = ["--synthetic", "2000", "--log-interval", "100"]


def venv_python(venv=VENV):
    """The interpreter of a virtual environment (default: the contributors')."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv():
    """Create .venv and install requirements-dev.txt into it, again only when that file changes."""
    stamp = VENV / "requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if venv_python().exists() and stamp.exists() and stamp.read_text() == wanted:
        return venv_python()
    if not venv_python().exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing requirements-dev.txt (torch is large: a few minutes the first time) ...", flush=True)
    install = subprocess.run([str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                              "-r", str(REQUIREMENTS)])
    if install.returncode != 0:
        raise SystemExit("error: pip could not install requirements-dev.txt (its messages are above). "
                         "Fix: make sure the package index can be reached, then run the command again.")
    stamp.write_text(wanted)
    return venv_python()


def from_pytorch(line):
    """Whether a line of the serving lock is PyTorch's (torch, torchvision, their index): these machines take
    SERVING_CONSTRAINTS' release from their own disk instead, as PyTorch's index cannot be reached from them."""
    return bool(re.match(r"(torch|torchvision)==|--extra-index-url https://download\.pytorch\.org/", line))


def ensure_serving_venv():
    """Create .venv-serving with the project's serving lock, PyTorch's lines replaced by serving-constraints.txt's,
    again only when either changes; return its interpreter."""
    listed = SERVING_LOCK.read_text()
    stamp = SERVING_VENV / "requirements.sha256"
    wanted = hashlib.sha256((listed + SERVING_CONSTRAINTS.read_text()).encode()).hexdigest()
    serving_python = venv_python(SERVING_VENV)
    if serving_python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return serving_python
    if not serving_python.exists():
        print(f"Creating {SERVING_VENV} (the serving environment) ...", flush=True)
        venv.create(SERVING_VENV, with_pip=True)
    requirements = SERVING_VENV / "serving.txt"
    requirements.write_text("".join(f"{line}\n" for line in listed.splitlines() if not from_pytorch(line)))
    install = subprocess.run([str(serving_python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                              "-r", str(requirements), "-r", str(SERVING_CONSTRAINTS)])
    if install.returncode != 0:
        raise SystemExit("error: pip could not install the serving environment (its messages are above). "
                         "Fix: make sure the package index can be reached, then run the command again.")
    stamp.write_text(wanted)
    return serving_python


def demo(output_dir=DEMO_DIR):
    """Bake a project with the default answers into output_dir (build/demo) and train it offline on synthetic images."""
    from cookiecutter.main import cookiecutter

    output_dir = Path(output_dir)
    default_project = json.loads((ROOT / "cookiecutter.json").read_text())["project"]
    shutil.rmtree(output_dir / default_project, ignore_errors=True)  # a fresh demo each time
    output_dir.mkdir(parents=True, exist_ok=True)
    project = Path(cookiecutter(str(ROOT), no_input=True, output_dir=str(output_dir)))
    print(f"\nBaked {project}; training it offline: python src/train.py {' '.join(DEMO_TRAINING)}\n", flush=True)
    return subprocess.run([sys.executable, "src/train.py", *DEMO_TRAINING], cwd=project).returncode


def test(pytest_args):
    """Run the template's tests (they bake projects and run those projects' own tests too)."""
    return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT).returncode


def main(argv=None):
    """Run a command in .venv (made on first use), or with --current-python in this interpreter as it is."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["demo", "test"])
    parser.add_argument("--output", default=str(DEMO_DIR), help="demo: where to bake (default: build/demo)")
    parser.add_argument("--current-python", action="store_true",
                        help="use this interpreter and its packages; make no .venv, install nothing (the serving "
                             f"environment's tests then need {SERVING_VARIABLE})")
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo" and rest:
        parser.error(f"demo takes no arguments: {' '.join(rest)}")
    if not args.current_python:
        python = ensure_venv()
        env = dict(os.environ)
        if args.command == "test" and not env.get(SERVING_VARIABLE):  # one set by hand is kept
            env[SERVING_VARIABLE] = str(ensure_serving_venv())
        command = [str(python), str(ROOT / "dev.py"), args.command, "--current-python", "--output", args.output, *rest]
        return subprocess.run(command, cwd=ROOT, env=env).returncode
    return demo(args.output) if args.command == "demo" else test(rest)


if __name__ == "__main__":
    sys.exit(main())
