"""The rule of CI's skips, in the project's tests/skips.py (which the template's tests use too): in CI a test may
skip only for want of a GPU; elsewhere a skip stays a skip, with its reason."""
import os
import re
import shutil
import subprocess
import sys

from conftest import PROJECT_TEMPLATE

TESTS = '''
import pytest

def test_needs_a_gpu():
    pytest.skip("needs a GPU: no CUDA device here")

def test_needs_something_else():
    pytest.skip("needs tmux")

def test_runs():
    assert True
'''


def run(folder, ci):
    env = {name: value for name, value in os.environ.items() if name != "CI"} | ({"CI": "true"} if ci else {})
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "-c", os.devnull, "--rootdir", str(folder), str(folder)],
                          cwd=folder, capture_output=True, text=True, timeout=120, env=env)


def test_in_ci_a_skip_for_any_reason_but_a_missing_gpu_fails_and_elsewhere_it_stays_a_skip(tmp_path):
    shutil.copy(PROJECT_TEMPLATE / "tests" / "skips.py", tmp_path / "skips.py")
    (tmp_path / "conftest.py").write_text("from skips import pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_example.py").write_text(TESTS)
    in_ci = run(tmp_path, ci=True)
    assert in_ci.returncode == 1
    assert re.search(r"^1 failed, 1 passed, 1 skipped", in_ci.stdout.splitlines()[-1])
    assert "skipped in CI, where only a test that needs a GPU may skip: Skipped: needs tmux" in in_ci.stdout
    elsewhere = run(tmp_path, ci=False)
    assert elsewhere.returncode == 0 and re.search(r"^1 passed, 2 skipped", elsewhere.stdout.splitlines()[-1])
