"""Make the template's locks again: bake a project for each SDK (Python 3.10, the lowest answer), run its
`python aml/lock.py` there, and copy its .azureml/lock/ back to {{cookiecutter.project}}/_sdk/<sdk>/.azureml/lock/.
It needs cookiecutter, uv and PyPI; `--torch RELEASE` moves every lock to that torch release, `--verify-builds`
asks PyTorch's index for each build's wheels."""
import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
SDKS = ("v1", "v2")
LOWEST_PYTHON = "3.10"  # the locks hold for this Python and up: every answer to python_version
TIMEOUT_S = 1200


def lock_folder(sdk):
    """Where the template keeps an SDK's locks."""
    return TEMPLATE / "{{cookiecutter.project}}" / "_sdk" / sdk / ".azureml" / "lock"


def refresh(sdk, torch_release, scratch, verify=False):
    """Bake the SDK's project into scratch, lock it there (and with verify, check PyTorch's wheels), and copy its
    locks into the template."""
    project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(scratch / sdk),
                                extra_context={"sdk": sdk, "python_version": LOWEST_PYTHON}))
    command = [sys.executable, "aml/lock.py", *(["--torch", torch_release] if torch_release else [])]
    if subprocess.run(command, cwd=project, timeout=TIMEOUT_S).returncode != 0:
        raise SystemExit(f"error: {sdk}'s lock could not be made (uv's message is above)")
    verified = [sys.executable, "aml/lock.py", "--verify-builds"]
    if verify and subprocess.run(verified, cwd=project, timeout=TIMEOUT_S).returncode != 0:
        raise SystemExit(f"error: PyTorch's index lacks wheels of {sdk}'s lock (named above)")
    shutil.rmtree(lock_folder(sdk), ignore_errors=True)
    shutil.copytree(project / ".azureml" / "lock", lock_folder(sdk))


def main(argv=None):
    """Refresh both SDKs' locks."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--torch", metavar="RELEASE", help="lock this torch release (default: the locks' own)")
    parser.add_argument("--verify-builds", action="store_true", help="check PyTorch's index for each build's wheels")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        for sdk in SDKS:
            refresh(sdk, args.torch, Path(scratch), args.verify_builds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
