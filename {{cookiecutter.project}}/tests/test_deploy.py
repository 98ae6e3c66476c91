"""08-deploy.py before anything reaches Azure, whichever the SDK: its flags checked, and without azure-ai-ml (an SDK
v1 project's start) one line that names the install step."""

import sys

from aml import deployment, preflight

import pytest
from conftest import run_script


@pytest.mark.parametrize(
    "flags, problem",
    [
        (["--endpoint", "9lives"], "--endpoint '9lives' breaks its rule"),
        (["--deployment", "b"], "--deployment 'b' breaks its rule"),
        (["--model-name", "net!"], "--model-name 'net!' breaks its rule"),
        (["--model-version", "latest"], "--model-version 'latest' is not a version"),
        (["--instance-type", "DS3"], "--instance-type 'DS3' is not a VM size"),
        (["--instance-count", "0"], "--instance-count 0 is out of range"),
    ],
)
def test_a_bad_flag_stops_with_one_error_and_its_fix_before_any_login(flags, problem):
    with pytest.raises(SystemExit) as stop:
        deployment.arguments("test", flags)
    error, fix = str(stop.value).splitlines()
    assert error == f"error: {problem}" and fix.startswith("fix: ")


def test_without_azure_ai_ml_the_install_step_is_named_in_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.ai.ml", None)  # as in a v1 project's environment
    with pytest.raises(SystemExit) as stop:
        deployment.require_sdk_v2()
    assert str(stop.value) == (
        "error: azure-ai-ml and azure-identity (managed online endpoints are the Azure ML SDK v2's) are not installed "
        "in this Python\nfix: pip install azure-ai-ml azure-identity"
    )


@pytest.mark.slow
def test_help_says_that_a_v1_project_deploys_with_azure_ai_ml_too(project_copy):
    result = run_script("08-deploy.py", "--help", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "SDK v1 has no managed online endpoints: a v1 project deploys with azure-ai-ml too" in text
    assert "bills every hour it exists, used or not" in text


def test_the_serving_environment_names_every_package_score_py_and_its_modules_import():
    deployment.check_serving()  # stops with one line otherwise
    assert preflight.with_local_imports("score.py") == ["classifier.py", "model.py", "score.py"]


@pytest.mark.slow
def test_a_serving_environment_without_the_server_stops_the_dry_run_naming_it(project_copy):
    env = project_copy / ".azureml" / "serving-env.yml"
    text = env.read_text(encoding="utf-8")
    env.write_text("\n".join(line for line in text.splitlines() if "azureml-inference-server-http" not in line))
    result = run_script("08-deploy.py", "--dry-run", cwd=project_copy)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: src/score.py imports azureml_inference_server_http, but serving-env.yml does not name "
        "azureml-inference-server-http",
        "fix: add '- azureml-inference-server-http' under pip: in .azureml/serving-env.yml",
    ]


@pytest.mark.slow
def test_invoke_with_a_file_that_is_no_picture_stops_before_any_login(project_copy, offline, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("a cat, honest")
    env, network_log = offline
    result = run_script("08-deploy.py", "--invoke", str(notes), cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr and not network_log.exists()
    assert result.stderr.splitlines() == [
        f"error: {notes} is not an image in a format Pillow reads. Fix: name an image file (PNG, JPEG), of any size."
    ]
