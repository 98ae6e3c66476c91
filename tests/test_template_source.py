"""The template's own Python, unbaked: nearly all of it is plain Python that editors and ruff read as it is."""
import ast
import re
import shutil
import subprocess

import pytest

from conftest import CONTEXT, PROJECT_TEMPLATE

# What may still hold Jinja: src/train.py (run.log or mlflow.log_metric) and one more file, with few tags in all.
MAX_UNPARSABLE = 2
MAX_JINJA_TAGS = 25
JINJA_TAG = re.compile(r"\{\{|\{%")
# ${{inputs.data}} in an Azure ML command is Azure ML's, not Jinja (as in test_bake.py)
EXPRESSION = re.compile(r"\$\{\{[^{}%#]+\}\}")


def python_files():
    return sorted(path for path in PROJECT_TEMPLATE.rglob("*.py") if "__pycache__" not in path.parts)


def parses(path):
    try:
        ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return False
    return True


def jinja_tags():
    """The Jinja tags ({{ and {%) of each Python file of the project template that has any."""
    counts = {path.relative_to(PROJECT_TEMPLATE).as_posix():
              len(JINJA_TAG.findall(EXPRESSION.sub("", path.read_text(encoding="utf-8")))) for path in python_files()}
    return {name: count for name, count in counts.items() if count}


def test_nearly_all_of_the_projects_python_parses_unbaked():
    unparsable = [path.relative_to(PROJECT_TEMPLATE).as_posix() for path in python_files() if not parses(path)]
    assert len(unparsable) <= MAX_UNPARSABLE, unparsable
    tags = jinja_tags()
    assert sum(tags.values()) <= MAX_JINJA_TAGS, tags


def test_control_scripts_and_their_package_hold_no_jinja():
    """aml/, the scripts and their tests are copied into the bake unrendered (_copy_without_render): no Jinja there."""
    tags = jinja_tags()
    held = [name for name in tags if re.match(r"(_sdk/v\d/)?(aml/|0[1-6]-|tests/test_(control_scripts|login|"
                                              r"submission))", name)]
    assert held == [], held
    copied = CONTEXT["_copy_without_render"]
    assert "aml/*" in copied and "_sdk/*/aml/*" in copied


def sdk_tree(sdk, folder):
    """The project's files as a bake with `sdk` places them (each _sdk/<sdk>/ file at its place), unrendered."""
    for path in sorted(PROJECT_TEMPLATE.rglob("*")):
        relative = path.relative_to(PROJECT_TEMPLATE)
        if path.is_file() and "__pycache__" not in relative.parts and relative.parts[0] != "_sdk":
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / relative)
    chosen = PROJECT_TEMPLATE / "_sdk" / sdk
    for path in sorted(chosen.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            (folder / path.relative_to(chosen)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / path.relative_to(chosen))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_the_unbaked_python_that_parses_passes_the_projects_ruff_checks(tmp_path, hook_tools, sdk):
    """ruff check and ruff format --check, at the pinned version, with the project's ruff.toml (rendered: its
    target-version is the default Python version's) over the template's Python files that parse, laid out as in
    a bake of `sdk` (so that ruff tells the project's own modules from third-party ones as it does there)."""
    copy = sdk_tree(sdk, tmp_path / "project")
    settings = (copy / "ruff.toml").read_text()
    rendered = re.sub(r"\{\{ *cookiecutter\.python_version *\| *replace\('\.', ''\) *\}\}",
                      CONTEXT["python_version"].replace(".", ""), settings)
    assert not JINJA_TAG.search(rendered), "ruff.toml holds Jinja this test does not render"
    (copy / "ruff.toml").write_text(rendered)
    skipped = [path.relative_to(copy).as_posix() for path in copy.rglob("*.py") if not parses(path)]
    assert len(skipped) <= MAX_UNPARSABLE, skipped
    excluded = [option for name in skipped for option in ("--extend-exclude", name)]
    for command in (["check", "--no-cache", *excluded, "."], ["format", "--check", "--no-cache", *excluded, "."]):
        result = subprocess.run([str(hook_tools / "ruff"), *command], cwd=copy, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
