"""Imported first by train.py and predict.py: without a package they need, one line names the install step."""

import importlib.util
import re
import sys

from paths import SRC_DIR

NEEDED = {"torch": "PyTorch (torch)", "torchvision": "torchvision", "PIL": "Pillow"}  # module: its package
ENV_FILE = SRC_DIR.parent / ".azureml" / "pytorch-env.yml"  # the project's one environment file


def install_step():
    """The ways to install the environment, in one line: the dev container, conda, or pip with the lock."""
    found = re.search(r"(?m)^name:\s*(\S+)", ENV_FILE.read_text(encoding="utf-8")) if ENV_FILE.is_file() else None
    name = found.group(1) if found else "pytorch-env"
    return (
        "open the project in its dev container (VS Code: Reopen in Container), or "
        f"conda env create -f .azureml/pytorch-env.yml && conda activate {name}, or "
        "pip install -r .azureml/lock/cpu.txt -r .azureml/lock/dev-tools.txt"
    )


def require(needed=NEEDED):
    """Stop with one line when a needed module cannot be imported in this Python."""
    missing = [package for module, package in needed.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise SystemExit(
            f"error: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed in this Python "
            f"({sys.executable}). Fix: {install_step()}"
        )


require()
