"""The contributors' commands work: the demo bakes a project and trains it offline; the benchmark runs."""
import os
import re
import statistics
import subprocess
import sys

import pytest
import torch

from conftest import TEMPLATE


@pytest.mark.slow
def test_demo_command_bakes_and_prints_the_tutorial_lines(tmp_path):
    result = subprocess.run([sys.executable, str(TEMPLATE / "dev.py"), "demo", "--current-python", "--output", str(tmp_path)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert len(re.findall(r"^epoch=[12], batch=  [1-5]00: loss \d\.\d\d$", result.stdout, re.M)) == 10
    assert "Finished Training" in result.stdout
    device = next(name for name, there in (("cuda", torch.cuda.is_available()), ("mps", torch.backends.mps.is_available()),
                                           ("cpu", True)) if there)  # what --device auto picks on this machine
    assert re.search(rf"^Trained 4000 images in \d+\.\d s: \d+ images/s on {device}$", result.stdout, re.M)
    assert re.search(r"^Accuracy on the 400 test images: \d+\.\d%$", result.stdout, re.M)
    assert (tmp_path / "aml-cifar" / "src" / "train.py").is_file()


@pytest.mark.slow
def test_benchmark_runs_all_three_variants_and_prints_the_ratios(tmp_path):
    result = subprocess.run([sys.executable, str(TEMPLATE / "bench" / "benchmark.py"), "--images", "400",
                             "--repeats", "2", "--rss-images", "400"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rounds = re.findall(r"^round (\d): (tutorial|generated|floor) +(\d+\.\d) steps/s$", result.stdout, re.M)
    assert [(r, v) for r, v, _ in rounds] == [(str(r), v) for r in (1, 2) for v in ("tutorial", "generated", "floor")]
    measured = {variant: [float(steps) for _, v, steps in rounds if v == variant] for variant in VARIANTS}
    assert all(steps > 0 for values in measured.values() for steps in values)
    # the summary is computed from the rounds printed above it: their medians, and the ratios of those
    median = {variant: statistics.median(values) for variant, values in measured.items()}
    printed = dict(re.findall(r"(tutorial|generated|floor) (\d+\.\d)", re.search(r"^medians \(steps/s\): (.*)$",
                                                                               result.stdout, re.M).group(1)))
    assert {v: float(x) for v, x in printed.items()} == pytest.approx(median, abs=0.1)
    ratio = float(re.search(r"^generated / tutorial = (\d+\.\d\d)x$", result.stdout, re.M).group(1))
    assert ratio == pytest.approx(median["generated"] / median["tutorial"], abs=0.01)
    share = float(re.search(r"^generated / floor    = (\d+\.\d)%$", result.stdout, re.M).group(1))
    assert share == pytest.approx(100 * median["generated"] / median["floor"], abs=0.1)
    rss = int(re.search(r"^peak RSS, one epoch of 400 images plus the 10000-image test: (\d+) MB", result.stdout,
                        re.M).group(1))
    assert rss > 30 * 2**20 // 10**6  # at least the 10,000 test images as float32 (30 MB) were held
    assert "load average before" in result.stdout and "load average after" in result.stdout


VARIANTS = ("tutorial", "generated", "floor")


@pytest.mark.slow
def test_serving_benchmark_prints_latency_and_throughput_beside_the_floor_from_its_own_figures():
    """bench/serving.py through the real server: p50 <= p99 on both paths, images/s of both, and the ratio it prints
    is that of the figures printed above it (no duration is asserted)."""
    serving_python = os.environ.get("AML_SERVING_PYTHON")
    if not serving_python or not os.path.isfile(serving_python):
        pytest.skip("no serving environment: set AML_SERVING_PYTHON to its Python (python3 dev.py test makes one)")
    result = subprocess.run([sys.executable, str(TEMPLATE / "bench" / "serving.py"), "--requests", "60", "--batches",
                             "4", "--batch-size", "16"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert re.search(rf"^machine: {os.cpu_count()} cores; server: azmlinfsrv, 1 sync worker", result.stdout, re.M)
    single = re.search(r"^one 32x32 PNG per request, 60 requests: server p50 (\d+\.\d\d) ms, p99 (\d+\.\d\d) ms; "
                       r"floor p50 (\d+\.\d\d) ms, p99 (\d+\.\d\d) ms$", result.stdout, re.M)
    assert single, result.stdout
    server_p50, server_p99, floor_p50, floor_p99 = map(float, single.groups())
    assert 0 < server_p50 <= server_p99 and 0 < floor_p50 <= floor_p99
    batch = re.search(r"^16 PNGs per request, 4 requests: server (\d+) images/s; floor (\d+) images/s$",
                      result.stdout, re.M)
    assert batch, result.stdout
    server, floor = map(int, batch.groups())
    ratio = float(re.search(r"^batch: server / floor = (\d+\.\d)%$", result.stdout, re.M).group(1))
    assert server > 0 and floor > 0
    assert ratio == pytest.approx(100 * server / floor, abs=0.1 + 100 * (0.5 / floor + 0.5 * server / floor**2))
    assert "load average before" in result.stdout and "load average after" in result.stdout
