"""What the control scripts' tests share: a stand-in login, a workspace config, the Azure CLI, the lock's lines
for a job, dry runs, what the submissions print, and 07's main()."""

import json
import os
import re
import runpy

from aml import costs
from aml.lock_files import JOB_PLATFORM

import pytest
from conftest import ROOT, run_script

FAKE_SERVICE_PRINCIPAL = {"AZURE_TENANT_ID": "tenant", "AZURE_CLIENT_ID": "client", "AZURE_CLIENT_SECRET": "secret"}
NO_LOGIN = {name: "" for name in FAKE_SERVICE_PRINCIPAL}
SUBSCRIPTION = "01234567-89ab-cdef-0123-456789abcdef"
GPU_ON_2_NODES = ["--gpu", "--node-count", "2", "--process-count-per-node", "2", "--compute", "gpu-cluster"]
EARLIER_STEP = "# earlier step\n"  # a job summary page's line from before the submission
READ_CLUSTER = ["--compute", "gpu-cluster", "--max-hours", "3"]  # a submission to the cluster of CLUSTER_COSTS
CLUSTER_COSTS = [  # what that submission prints of the cluster read from the workspace: 2 low-priority T4 nodes
    "cost (nodes are billed per minute while they are up):",
    "  cluster:     gpu-cluster: Standard_NC4as_T4_v3, 0 to 2 nodes, low priority; this job takes 1",
    "  scale-down:  idle nodes are removed after 15 min (900 s); at 0 nodes the cluster costs nothing",
    "  price class: GPU (N-series, NVIDIA): an hour of a node costs about 10 times a CPU node's",
    "  time limit:  3 h (10800 s, --max-hours), then Azure ML cancels the job",
    "  from:        the cluster in the workspace",
]


def write_config(project):
    """A workspace config in the project, as a download from Azure ML Studio would be."""
    config = {
        "subscription_id": "01234567-89ab-cdef-0123-456789abcdef",
        "resource_group": "rg",
        "workspace_name": "ws1",
    }
    (project / ".azureml" / "config.json").write_text(json.dumps(config))


JOB_MARKERS = JOB_PLATFORM  # Azure ML's compute, as PEP 508's markers name it


def job_lock_lines(name):
    """The pip list Azure ML gets from .azureml/lock/<name>.txt (cpu, cu126, serving): its option lines, then the
    pins whose markers hold on Linux x86-64 with the environment's Python, without the markers."""
    from packaging.markers import Marker

    python = re.search(r"(?m)^\s*- python=(\S+)", (ROOT / ".azureml" / "pytorch-env.yml").read_text()).group(1)
    markers = {**JOB_MARKERS, "python_version": python, "python_full_version": f"{python}.0"}
    lines = [
        line.split(" #")[0].strip() for line in (ROOT / ".azureml" / "lock" / f"{name}.txt").read_text().splitlines()
    ]
    lines = [line for line in lines if line and not line.startswith("#")]
    pins = [line.partition(";") for line in lines if not line.startswith("-")]
    kept = [pin.strip() for pin, _, marker in pins if not marker.strip() or Marker(marker).evaluate(markers)]
    return [line for line in lines if line.startswith("-")] + kept


def pip_entry(conda):
    """The pip: entry of a conda environment's dependencies."""
    return next(entry for entry in conda["dependencies"] if isinstance(entry, dict) and "pip" in entry)


def script(name):
    """A control script's functions, loaded without running its main()."""
    return runpy.run_path(str(ROOT / name))


def download_model(*flags):
    """Run 07-download-model.py's main() with flags."""
    script("07-download-model.py")["main"](list(flags))


def fake_az(folder, lifetime_s=3600):
    """An `az` in folder that logs its arguments to az.log and answers with a token valid for lifetime_s seconds."""
    log = folder / "az.log"
    write_az(
        folder,
        f'echo "$*" >> "{log}"\n'
        'echo "{\\"accessToken\\": \\"token-$$\\", \\"tokenType\\": \\"Bearer\\", '
        '\\"expiresOn\\": \\"2099-01-01 00:00:00.000000\\", '
        f'\\"expires_on\\": $(( $(date +%s) + {lifetime_s} ))}}"\n',
    )
    return log


def write_az(folder, lines):
    """An executable `az` in folder that runs the shell lines given; returns its path."""
    az = folder / "az"  # stands in for the CLI, whose real answer needs the network
    az.write_text("#!/bin/sh\n" + lines)
    az.chmod(0o755)
    return az


def path_with(folder):
    """PATH with folder first, so that a stand-in `az` there is found before any other."""
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def cli_logged_out_error(project, offline, folder):
    """What 04 says, offline with a workspace config, no service principal and an Azure CLI (in folder) not logged in:
    it must stop with a message, not a traceback."""
    write_config(project)
    write_az(folder, "echo 'ERROR: Please run az login to setup account.' >&2\nexit 1\n")
    result = run_script("04-run-pytorch.py", cwd=project, env={**offline[0], **NO_LOGIN, "PATH": path_with(folder)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    return result.stderr


def without_service_principal(monkeypatch):
    """Unset the service principal's variables, so that the login goes on to the Azure CLI or a device code."""
    for name in FAKE_SERVICE_PRINCIPAL:
        monkeypatch.delenv(name, raising=False)


def assert_service_principal_comes_first(monkeypatch, authentication, kind):
    """authentication() takes a service principal first (a `kind`), refuses one set in part; then none is set."""
    for name, value in FAKE_SERVICE_PRINCIPAL.items():
        monkeypatch.setenv(name, value)
    credential, how = authentication()
    assert isinstance(credential, kind) and how.startswith("service principal")
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    with pytest.raises(SystemExit, match="only AZURE_TENANT_ID, AZURE_CLIENT_ID of the service principal"):
        authentication()
    without_service_principal(monkeypatch)


def dry_run(name, project, offline, *flags):
    """What control script `name` prints with --dry-run and flags, offline; it must succeed and use no network."""
    env, network_log = offline
    result = run_script(name, "--dry-run", *flags, cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    assert not network_log.exists(), network_log.read_text()
    return result.stdout


def add_snapshot_files(project):
    """Put into the project's src/ a file the snapshot keeps (notes.txt) and one src/.amlignore leaves out (data/)."""
    (project / "src" / "data").mkdir()
    (project / "src" / "data" / "big.bin").write_bytes(b"\0" * 4096)
    (project / "src" / "notes.txt").write_text("kept")


def assert_snapshot_listed(stdout, project):
    """The snapshot a dry run lists: every file of src/ itself, notes.txt among them, nothing of src/data/."""
    listed = [line.split()[-1] for line in stdout.split("snapshot:")[1].splitlines()[1:]]
    assert "notes.txt" in listed and "big.bin" not in " ".join(listed)  # src/.amlignore leaves out data/
    assert sorted(listed) == sorted(path.name for path in (project / "src").iterdir() if path.is_file())


def cost_block(chosen, nodes=1, limit="2 h (7200 s, --max-hours)"):
    """The cost lines a dry run prints, for the cluster the settings plan, `nodes` for the job and its time limit."""
    return [
        "cost (nodes are billed per minute while they are up):",
        f"  cluster:     {chosen.compute_name}: {chosen.vm_size}, 0 to {chosen.max_nodes} nodes, dedicated; "
        f"this job takes {nodes}",
        "  scale-down:  idle nodes are removed after 40 min (2400 s); at 0 nodes the cluster costs nothing",
        f"  price class: {costs.price_class(chosen.vm_size)}",
        f"  time limit:  {limit}, then Azure ML cancels the job",
        "  from:        .azureml/settings.yml and 02-create-compute.py's defaults "
        "(a dry run does not read the cluster)",
    ]


def assert_costs_from_the_settings(printed, chosen, why=None):
    """printed: the costs the settings plan, the cluster unread (why: the whole reason), then 'submitted'."""
    line = (
        "  from:        .azureml/settings.yml and 02-create-compute.py's defaults (the cluster itself could not be "
        f"read: reading cluster {chosen.compute_name!r} failed: "
    )
    assert printed[:5] == cost_block(chosen)[:5] and printed[6] == "submitted"
    assert (printed[5] == f"{line}{why})") if why else printed[5].startswith(line)
    assert costs.planned(chosen.compute_name).vm_size == chosen.vm_size


def summary_page(folder, monkeypatch):
    """A GitHub Actions job summary page (GITHUB_STEP_SUMMARY) holding an earlier step's line."""
    page = folder / "summary.md"
    page.write_text(EARLIER_STEP)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(page))
    return page


def summary_after(run, experiment):
    """The job summary page once run was submitted to experiment: the earlier step's line, then the run's link."""
    link = f"[open it in Azure ML Studio](https://ml.azure.com/runs/{run})"
    return f"{EARLIER_STEP}Training run {run} submitted to experiment {experiment}: {link}\n"
