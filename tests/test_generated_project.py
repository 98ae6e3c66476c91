"""A baked project works: its own test suite passes with nothing new installed, and the demo trains it offline."""
import re
import subprocess
import sys

import pytest

from conftest import TEMPLATE, bake


@pytest.mark.slow
def test_baked_project_passes_its_own_test_suite(tmp_path):
    project = bake(tmp_path, project="suite-check", compute_name="gpu-cluster", max_nodes="2")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary) and "failed" not in summary and "skipped" not in summary, summary


@pytest.mark.slow
def test_demo_command_bakes_and_prints_the_tutorial_lines(tmp_path):
    result = subprocess.run([sys.executable, str(TEMPLATE / "dev.py"), "demo", "--current-python", "--output", str(tmp_path)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert len(re.findall(r"^epoch=[12], batch=  [1-5]00: loss \d\.\d\d$", result.stdout, re.M)) == 10
    assert "Finished Training" in result.stdout
    assert re.search(r"^Trained 4000 images in \d+\.\d s: \d+ images/s$", result.stdout, re.M)
    assert (tmp_path / "aml-cifar" / "src" / "train.py").is_file()
