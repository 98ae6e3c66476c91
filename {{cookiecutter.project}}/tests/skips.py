"""In CI (CI set, as GitHub's runners set it) a test may skip only for want of a GPU: any other skip is a test that
proved nothing where it should have, so this pytest hook turns it into a failure that gives the reason."""

import os

import pytest

GPU_SKIP = "needs a GPU"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, turn a skip for any reason but a missing GPU into a failure that gives the reason."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if GPU_SKIP not in reason:
            report.outcome = "failed"
            report.longrepr = f"skipped in CI, where only a test that {GPU_SKIP} may skip: {reason}"
