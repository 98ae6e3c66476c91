"""The repository's own editor and CI files: they parse, and CI runs the README's test command."""
import re

import json5

from conftest import TEMPLATE


def test_editor_files_parse_as_jsonc():
    for path in [*TEMPLATE.joinpath(".vscode").glob("*.json"), TEMPLATE / ".devcontainer" / "devcontainer.json"]:
        assert isinstance(json5.loads(path.read_text()), dict), path


def test_ci_runs_the_readme_test_command():
    readme = (TEMPLATE / "README.md").read_text()
    commands = re.findall(r"^(python3 dev\.py \w+)$", readme, re.M)
    assert commands == ["python3 dev.py demo", "python3 dev.py test"]
    ci = [line for line in (TEMPLATE / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == "python3 dev.py test"


def test_template_tasks_run_the_readme_commands():
    tasks = {t["label"]: t for t in json5.loads((TEMPLATE / ".vscode" / "tasks.json").read_text())["tasks"]}
    commands = {label: " ".join([t["command"], *t["args"]]) for label, t in tasks.items()}
    assert commands == {"Bake demo project": "python3 dev.py demo", "Run template tests": "python3 dev.py test"}
    assert tasks["Run template tests"]["group"] == {"kind": "test", "isDefault": True}
    launch = json5.loads((TEMPLATE / ".vscode" / "launch.json").read_text())["configurations"]
    assert any(c.get("module") == "pytest" and "tests" in c["args"] for c in launch)
