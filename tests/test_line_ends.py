"""Line ends: a Git for Windows checkout of the template (core.autocrlf=true) bakes projects with LF only, and such a
project, committed and cloned back the same way, keeps them."""
import json

import pytest

from conftest import CONTEXT, PROJECT_TEMPLATE, TEMPLATE, bake_cli, git, template_repository

# The bakes with the most files: v1 as it comes, v2 with the GPU container and the Azure training workflow
CASES = {"v1": [], "v2-gpu-train": ["sdk=v2", "devcontainer_gpu=yes", "github_train_workflow=yes"]}


def windows_clone(source, target):
    """Clone source to target as Git for Windows does by default: CRLF for text files with no attributes."""
    git(source.parent, "-c", "core.autocrlf=true", "clone", "-q", str(source), str(target))
    return target


def files_with_cr(folder):
    """The files under folder (git's own store aside) that hold a carriage return."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")
                  if path.is_file() and ".git" not in path.relative_to(folder).parts and b"\r" in path.read_bytes())


def verify_lf_only(folder):
    assert any(folder.rglob("*.sh")) and any(folder.rglob("*.py"))  # the files a CR breaks are there
    assert files_with_cr(folder) == []


def test_template_and_project_ask_git_for_lf_and_cookiecutter_writes_lf():
    for attributes in (TEMPLATE / ".gitattributes", PROJECT_TEMPLATE / ".gitattributes"):
        rules = [line.split() for line in attributes.read_text().splitlines() if line and not line.startswith("#")]
        assert ["*", "text=auto", "eol=lf"] in rules and ["*.png", "binary"] in rules, attributes
    assert CONTEXT["_new_lines"] == "\n"


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_a_bake_from_a_crlf_checkout_has_lf_only_and_keeps_it_through_git(tmp_path, case):
    clone = windows_clone(template_repository(tmp_path / "template"), tmp_path / "clone")
    verify_lf_only(clone)
    result = bake_cli(tmp_path / "baked", *CASES[case], template=clone)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "baked" / CONTEXT["project"]
    verify_lf_only(project)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "baked")
    verify_lf_only(windows_clone(project, tmp_path / "project-clone"))


@pytest.mark.slow
def test_without_gitattributes_the_same_clone_gets_crlf_and_only_rendered_files_are_mended(tmp_path):
    """What .gitattributes prevents: the clone's files get CRLF; cookiecutter's _new_lines mends the files it renders,
    but copies the others (_copy_without_render) byte for byte."""
    template = template_repository(tmp_path / "template")
    git(template, "rm", "-q", ".gitattributes", f"{PROJECT_TEMPLATE.name}/.gitattributes")
    git(template, "commit", "-q", "-m", "no attributes")
    clone = windows_clone(template, tmp_path / "clone")
    assert f"{PROJECT_TEMPLATE.name}/.devcontainer/post-create.sh" in files_with_cr(clone)
    assert bake_cli(tmp_path / "baked", template=clone).returncode == 0
    crlf = files_with_cr(tmp_path / "baked" / CONTEXT["project"])
    assert "04-run-pytorch.py" in crlf and "aml/settings.py" in crlf  # copied without rendering
    assert ".devcontainer/post-create.sh" not in crlf and "src/train.py" not in crlf  # rendered with _new_lines
    assert json.loads((clone / "cookiecutter.json").read_text())["_new_lines"] == "\n"
