"""The contributors' commands work: the demo bakes a project and trains it offline; the benchmark runs."""
import re
import subprocess
import sys

import pytest

from conftest import TEMPLATE


@pytest.mark.slow
def test_demo_command_bakes_and_prints_the_tutorial_lines(tmp_path):
    result = subprocess.run([sys.executable, str(TEMPLATE / "dev.py"), "demo", "--current-python", "--output", str(tmp_path)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert len(re.findall(r"^epoch=[12], batch=  [1-5]00: loss \d\.\d\d$", result.stdout, re.M)) == 10
    assert "Finished Training" in result.stdout
    assert re.search(r"^Trained 4000 images in \d+\.\d s: \d+ images/s on cpu$", result.stdout, re.M)
    assert re.search(r"^Accuracy on the 400 test images: \d+\.\d%$", result.stdout, re.M)
    assert (tmp_path / "aml-cifar" / "src" / "train.py").is_file()


@pytest.mark.slow
def test_benchmark_runs_all_three_variants_and_prints_the_ratios(tmp_path):
    result = subprocess.run([sys.executable, str(TEMPLATE / "bench" / "benchmark.py"), "--images", "400",
                             "--repeats", "2", "--rss-images", "400"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rounds = re.findall(r"^round (\d): (tutorial|generated|floor) +(\d+\.\d) steps/s$", result.stdout, re.M)
    assert [(r, v) for r, v, _ in rounds] == [(str(r), v) for r in (1, 2) for v in ("tutorial", "generated", "floor")]
    assert all(float(steps) > 0 for _, _, steps in rounds)
    assert re.search(r"^generated / tutorial = \d+\.\d\dx$", result.stdout, re.M)
    assert re.search(r"^generated / floor    = \d+\.\d%$", result.stdout, re.M)
    assert re.search(r"^peak RSS, one epoch of 400 images plus the 10000-image test: \d+ MB", result.stdout, re.M)
    assert "load average before" in result.stdout and "load average after" in result.stdout
