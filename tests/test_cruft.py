"""cruft, the real one from PyPI, on a git clone of the template: create, check, and update after a template change."""
import json
import os
import subprocess
import sys

import pytest

from conftest import CONTEXT, GIT_ENV, PROJECT_TEMPLATE, bake, git, template_repository

CHANGE = "# A change in a newer version of the template."


def cruft(folder, *args):
    """Run cruft's command line in folder, git configured as on a fresh machine; return the finished process."""
    return subprocess.run([sys.executable, "-m", "cruft", *args], cwd=folder, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, env={**os.environ, **GIT_ENV, "PWD": str(folder)})


def files_of(project):
    return {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file() and ".git" not in p.parts}


@pytest.mark.slow
def test_cruft_creates_the_project_then_checks_and_updates_it_from_a_newer_template(tmp_path):
    template = template_repository(tmp_path / "template")
    (tmp_path / "projects").mkdir()
    created = cruft(tmp_path / "projects", "create", "--no-input", str(template))
    assert created.returncode == 0 and "Traceback" not in created.stderr, created.stdout + created.stderr
    assert f"\n  cd {CONTEXT['project']} && python src/train.py" in created.stdout
    project = tmp_path / "projects" / CONTEXT["project"]
    assert files_of(project) == files_of(bake(tmp_path / "cookiecutter")) | {".cruft.json"}
    assert json.loads((project / ".cruft.json").read_text())["commit"] == git(template, "rev-parse", "HEAD").strip()
    (project / "notes.md").write_text("my own file\n")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "baked")

    checked = cruft(project, "check")
    assert checked.returncode == 0 and "up to date" in checked.stdout, checked.stdout + checked.stderr

    model = template / PROJECT_TEMPLATE.name / "src" / "model.py"
    model.write_text(model.read_text() + f"\n\n{CHANGE}\n")
    git(template, "commit", "-q", "-am", "a newer template")
    checked = cruft(project, "check")
    assert checked.returncode == 1 and "out of date" in checked.stdout, checked.stdout + checked.stderr

    updated = cruft(project, "update", "--skip-apply-ask")
    assert updated.returncode == 0 and "Traceback" not in updated.stderr, updated.stdout + updated.stderr
    assert "Next (" not in updated.stdout  # the scratch renderings cruft compares print no next steps
    assert (project / "src" / "model.py").read_text().endswith(f"{CHANGE}\n")
    changed = {line[3:] for line in git(project, "status", "--porcelain").splitlines()}
    assert changed == {".cruft.json", ".cookiecutter.json", "src/model.py"}  # the new commit, the change
    assert (project / "notes.md").read_text() == "my own file\n"
    git(project, "commit", "-q", "-am", "update from the template")
    assert cruft(project, "check").returncode == 0
