"""What 07-download-model.py does alike with either SDK (aml/downloads.py, aml/arguments.py): its dry run, its
flags' rules, its stop without a workspace config. Each SDK's tests/test_download_model.py has the rest: the run it
takes, the files it brings home, the model it registers (and the dry run's register: line), its failures."""

import socket

from aml import arguments, login, settings

import pytest
from conftest import run_script
from script_helpers import download_model

EXPERIMENT = settings.load().experiment_name
RUN = "calm_river_a1b2c3d4"  # a run id as --run-id takes it


@pytest.fixture
def no_network(monkeypatch):
    """Every socket refuses and login.connect is recorded; returns what was tried."""
    tried = []

    def refuse(*args, **kwargs):
        tried.append(args[:2])
        raise OSError("network blocked by the test")

    for owner, name in ((socket, "getaddrinfo"), (socket, "create_connection"), (socket.socket, "connect")):
        monkeypatch.setattr(owner, name, refuse)
    monkeypatch.setattr(login, "connect", lambda *args: tried.append("login"))
    return tried


def test_dry_run_says_which_run_where_its_files_go_and_what_is_registered_contacting_nothing(no_network, capsys):
    download_model("--dry-run")
    lines = capsys.readouterr().out.splitlines()
    assert lines[4].startswith("register:     model cifar10-net, a new version, from ")  # from where: each SDK's
    assert lines[:4] + lines[5:] == [
        "Dry run: nothing is downloaded or registered (no login, no network).",
        f"run:          the latest completed run of experiment {EXPERIMENT}",
        "download:     outputs/model.pt, and outputs/metrics.json and outputs/loss.png when the run has them",
        "into:         outputs/<run id>/ (through a temporary folder; an earlier one is kept, renamed)",
        "tags:         accuracy (from the run's metrics.json), run_id <run id>",
        "then:         python src/predict.py --model outputs/<run id>/model.pt IMAGE...",
    ]
    download_model("--dry-run", "--run-id", RUN, "--model-name", "mine")
    out = capsys.readouterr().out
    assert f"run:          run {RUN}\n" in out and f"into:         outputs/{RUN}/ " in out
    assert "register:     model mine, a new version, from " in out
    assert no_network == []


def test_a_model_name_or_run_id_that_breaks_its_rule_is_refused_before_any_network_call(no_network):
    for flags, line in [
        (["--model-name", "cifar/net"], "error: --model-name 'cifar/net' breaks its rule"),
        (["--run-id", "../elsewhere"], "error: --run-id '../elsewhere' breaks its rule"),
    ]:
        with pytest.raises(SystemExit) as stop:
            arguments.download_arguments("test", flags)
        assert str(stop.value).splitlines()[0] == line
    assert no_network == []


@pytest.mark.slow
def test_without_a_workspace_config_it_stops_at_once_with_the_fix(project_copy, offline):
    env, network_log = offline
    result = run_script("07-download-model.py", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    first, second = result.stderr.splitlines()
    assert first.startswith("error: no workspace config: .azureml/config.json was not found")
    assert second.startswith("fix: download config.json") and "01-create-workspace.py" in second
    assert not network_log.exists() and not (project_copy / "outputs").exists()
