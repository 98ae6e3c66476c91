"""Print the pip list of .azureml/pytorch-env.yml, one requirement a line, for a virtual environment without conda.

    python aml/requirements.py > requirements.txt && pip install -r requirements.txt

It runs as a file, needing nothing installed (not PyYAML, not the Azure ML SDK): the environment file is the one list.
"""

import sys
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parents[1] / ".azureml" / "pytorch-env.yml"


def pip_requirements(text):
    """The entries of the `- pip:` list in the text of a conda environment file, without their comments."""
    requirements, indent = [], None
    for line in text.splitlines():
        stripped = line.split(" #")[0].strip()
        depth = len(line) - len(line.lstrip())
        if indent is None:
            if stripped.replace(" ", "") == "-pip:":
                indent = depth
            continue
        if stripped and depth <= indent:
            break  # the pip list ended
        if stripped.startswith("- "):
            requirements.append(stripped[2:].strip().strip("\"'"))
    return requirements


def main():
    """Print the requirements; one line on stderr and exit 1 when the environment file has no pip list."""
    requirements = pip_requirements(ENV_FILE.read_text(encoding="utf-8"))
    if not requirements:
        print(f"error: no '- pip:' list in {ENV_FILE}", file=sys.stderr)
        return 1
    print("\n".join(requirements))
    return 0


if __name__ == "__main__":
    sys.exit(main())
