"""The task "Lint": pre-commit's checks on every file of the project's git repository, run as a file.

    python aml/lint.py

In a folder that is not a git repository yet (a fresh project), one message says how to make it one.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_A_REPOSITORY = (
    "error: pre-commit checks the files of a git repository, and this folder is not one yet\n"
    'fix: git init -b main && git add -A (README: "Put it on GitHub"), then run Lint again'
)


def in_a_repository(folder=ROOT):
    """Whether folder lies in a git work tree (False without git, too)."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"], cwd=folder, capture_output=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return found.returncode == 0


def main(argv=None):
    """Run pre-commit run --all-files in the project, or stop with the fix outside a git repository."""
    if not in_a_repository():
        raise SystemExit(NOT_A_REPOSITORY)
    flags = sys.argv[1:] if argv is None else argv
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", *flags], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
