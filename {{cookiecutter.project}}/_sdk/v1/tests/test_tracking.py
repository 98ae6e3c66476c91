"""The metrics train.py logs with run.log: to azureml-core's offline Run locally, or printed without azureml-core."""

import ast
import re
import subprocess
import sys

import pytest
from conftest import ROOT
from test_train import QUICK

import train
from data import CLASSES


def test_run_log_reaches_the_azureml_offline_run(capsys, tmp_path):
    from azureml.core.run import _OfflineRun

    assert isinstance(train.Run.get_context(), _OfflineRun)
    metrics = train.train(train.parse_args(QUICK + ["--epochs", "1", "--output-dir", str(tmp_path)]))
    out = capsys.readouterr().out
    logged = re.findall(r"^Attempted to log scalar metric loss:\n(\S+)$", out, re.M)
    assert [float(value) for value in logged] == pytest.approx(metrics["losses"])
    accuracy = re.findall(r"^Attempted to log scalar metric accuracy:\n(\S+)$", out, re.M)
    assert [float(value) for value in accuracy] == pytest.approx([metrics["accuracy"]])
    [table] = re.findall(r"^Attempted to log table metric class_accuracy:\n(.+)$", out, re.M)
    per_class = metrics["class_accuracy"]
    assert ast.literal_eval(table) == {"class": list(per_class), "accuracy": list(per_class.values())}
    assert list(per_class) == list(CLASSES)


@pytest.mark.slow
def test_trains_without_azureml_core_and_says_so_once(tmp_path):
    code = (
        "import runpy, sys; sys.modules['azureml'] = None; sys.path.insert(0, 'src'); "
        "sys.argv = ['src/train.py'] + sys.argv[1:]; runpy.run_path('src/train.py', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *QUICK, "--epochs", "1", "--output-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("azureml-core is not installed: metrics go to stdout only") == 1
    assert "Attempted to log" not in result.stdout
    assert len(re.findall(r"^metric loss: \S+$", result.stdout, re.M)) == 5
    assert len(re.findall(r"^metric accuracy: \S+$", result.stdout, re.M)) == 1
    [table] = re.findall(r"^metric class_accuracy: (.+)$", result.stdout, re.M)
    assert ast.literal_eval(table)["class"] == list(CLASSES)
    assert "Finished Training" in result.stdout
