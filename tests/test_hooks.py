"""Answer checks and the workspace-config hook: bad answers stop the bake cleanly; a config is found, written or explained."""
import json
import shlex
import subprocess
import sys

import pytest

from conftest import CONTEXT, TEMPLATE, bake, bake_cli
from local_extensions import InvalidAnswer

BAD_ANSWERS = [
    ("project", "a/b"),
    ("project", "CON"),
    ("project", "lpt1.txt"),
    ("project", "my project"),
    ("project", ".hidden"),
    ("project", "ends-with-dot."),
    ("experiment_name", "my experiment!"),
    ("experiment_name", "-starts-with-dash"),
    ("compute_name", "1cluster"),
    ("compute_name", "c"),
    ("compute_name", "cluster-"),
    ("compute_name", "cluster_name"),
    ("compute_name", "a-cluster-name-17"),
    ("vm_size", "D2_V2"),
    ("max_nodes", "0"),
    ("max_nodes", "four"),
    ("python_version", "2.7"),
    ("sdk", "v3"),
    ("subscription_id", "not-a-guid"),
    ("resource_group", "rg."),
    ("workspace_name", "ab"),
    ("region", "East US"),
]
WORKSPACE_CONFIG = {"subscription_id": "01234567-89ab-cdef-0123-456789abcdef", "resource_group": "found-rg",
                    "workspace_name": "found-ws"}


def verify_rejected(result, field, value):
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith(f"Invalid answer for '{field}': {value!r}. It must be ")


@pytest.mark.parametrize("field, value", BAD_ANSWERS)
def test_bad_answer_is_rejected_with_one_line_and_nothing_on_disk(tmp_path, field, value):
    out = tmp_path / "out"
    out.mkdir()
    verify_rejected(bake_cli(out, f"{field}={value}"), field, value)
    assert list(out.iterdir()) == []


def test_nested_project_name_leaves_no_folders(tmp_path):
    result = bake_cli(tmp_path / "new", "project=a/b")
    verify_rejected(result, "project", "a/b")
    assert not (tmp_path / "new").exists()


def test_typed_bad_answer_stops_at_that_question(tmp_path):
    result = bake_cli(tmp_path, stdin="aml-cifar\nday1-experiment-train\ncluster-\n" + "\n" * 20)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "Invalid answer for 'compute_name': 'cluster-'" in result.stdout
    assert "VM size" not in result.stdout  # the next question was never asked
    assert list(tmp_path.iterdir()) == []


def test_bad_answer_through_the_api_raises_and_leaves_nothing(tmp_path):
    with pytest.raises(InvalidAnswer, match="Invalid answer for 'compute_name'"):
        bake(tmp_path, compute_name="x")
    assert list(tmp_path.iterdir()) == []


def test_replayed_bad_answer_is_stopped_by_the_pre_gen_backstop(tmp_path, private_cookiecutter_config):
    bake(tmp_path / "first")
    replay = private_cookiecutter_config / "replay" / f"{TEMPLATE.name}.json"
    context = json.loads(replay.read_text())
    context["cookiecutter"]["compute_name"] = "bad_name"
    bad_replay = tmp_path / "bad.json"
    bad_replay.write_text(json.dumps(context))
    result = bake_cli(tmp_path / "second", "--replay-file", str(bad_replay))
    assert result.returncode == 1
    assert "Invalid answer for 'compute_name': 'bad_name'" in result.stderr
    assert not (tmp_path / "second" / CONTEXT["project"]).exists()


@pytest.mark.parametrize("good", [("compute_name", "ab"), ("compute_name", "a-cluster-name16"),
                                  ("project", "my.project_2"), ("vm_size", "Standard_NC24ads_A100_v4"),
                                  ("max_nodes", "100"), ("region", "westeurope2")])
def test_answers_at_the_edge_of_the_rules_are_accepted(tmp_path, good):
    assert bake(tmp_path, **dict([good])).is_dir()


def test_workspace_answers_write_the_config(tmp_path):
    project = bake(tmp_path, subscription_id=WORKSPACE_CONFIG["subscription_id"], resource_group="rg1",
                   workspace_name="ws1")
    assert json.loads((project / ".azureml" / "config.json").read_text()) == {
        "subscription_id": WORKSPACE_CONFIG["subscription_id"], "resource_group": "rg1", "workspace_name": "ws1"}


@pytest.mark.parametrize("where", [".azureml/config.json", "config.json"])
def test_existing_workspace_config_above_the_output_folder_is_copied(tmp_path, where):
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text(json.dumps(WORKSPACE_CONFIG))
    result = bake_cli(tmp_path / "projects" / "mine")
    assert result.returncode == 0, result.stderr
    copied = tmp_path / "projects" / "mine" / CONTEXT["project"] / ".azureml" / "config.json"
    assert json.loads(copied.read_text()) == WORKSPACE_CONFIG
    assert f"Copied the workspace config found at {tmp_path / where}" in result.stdout


def test_without_a_workspace_config_the_bake_says_what_to_do(tmp_path):
    (tmp_path / "config.json").write_text('{"some": "other tool"}')  # not a workspace config: passed over
    result = bake_cli(tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "out" / CONTEXT["project"] / ".azureml" / "config.json").exists()
    assert "No Azure ML workspace config found" in result.stdout
    assert "Download config file" in result.stdout and "python 01-create-workspace.py" in result.stdout


def test_a_wrong_answer_after_others_prints_the_command_that_keeps_them_and_it_bakes_when_pasted(tmp_path):
    typed = "my-project\nmy-experiment\ncluster-\n"
    result = bake_cli(tmp_path / "first", stdin=typed + "\n" * 20)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    *_, problem, command = result.stdout.strip().splitlines()
    assert problem.endswith("Run cookiecutter again with a valid value. This keeps your answers before it:")
    assert shlex.split(command) == ["cookiecutter", str(TEMPLATE), "project=my-project", "experiment_name=my-experiment"]
    (tmp_path / "again").mkdir()
    pasted = subprocess.run([sys.executable, "-m", *shlex.split(command)], cwd=tmp_path / "again", timeout=120,
                            input="\n\ngpu-cluster\n" + "\n" * 20, capture_output=True, text=True)  # Enter keeps them
    assert pasted.returncode == 0, pasted.stdout + pasted.stderr
    answers = json.loads((tmp_path / "again" / "my-project" / ".cookiecutter.json").read_text())["cookiecutter"]
    assert (answers["experiment_name"], answers["compute_name"]) == ("my-experiment", "gpu-cluster")
