"""02's quota check, 99's cluster deletion and a failed run's error (--logs, --wait) with azureml-core, Azure's
answers given where the SDK would receive them: its HTTP session, or the SDK method that asks Azure."""

import json
import sys
from types import SimpleNamespace

from aml import settings, submission

import pytest
import requests
from azure_answers import BILLED_LINES, REGION, REMOTE_LOG, SIZES, WORKSPACE_PARTS, usages
from conftest import SRC
from script_helpers import script

CHOSEN = settings.load()


@pytest.fixture
def azure(monkeypatch):
    """Azure Resource Manager's answers to the SDK's HTTP GETs (vmSizes, usages); the URLs asked are recorded."""
    answers, asked = {"vmSizes": {"amlCompute": SIZES}, "usages": {"value": usages()}}, []

    def get(session, url, **kwargs):
        asked.append(url)
        response = requests.Response()
        response.status_code, response.url = 200, url
        response._content = json.dumps(answers[url.rsplit("/", 1)[1]]).encode()
        return response

    monkeypatch.setattr(requests.Session, "get", get)
    return answers, asked


def test_a_family_without_room_for_one_node_stops_with_its_quota_and_the_fix(azure, reached_workspace):
    workspace = reached_workspace.workspace
    answers, asked = azure
    answers["usages"]["value"] = usages(dv2_used=6)
    check = script("02-create-compute.py")["quota_answers"]
    from aml import quota

    with pytest.raises(SystemExit) as stop:
        quota.check_in_time(lambda: check(workspace()), "STANDARD_D2_V2", False, 10)
    message = str(stop.value)
    assert message.startswith(
        f"error: not enough dedicated vCPU quota in {REGION} for one STANDARD_D2_V2 node (2 vCPUs, family "
        "standardDv2Family): Standard Dv2 Family Cluster Dedicated vCPUs has 6/6 in use"
    )
    assert "Quotas, then Machine learning" in message and "--vm-size" in message and "--low-priority" in message
    assert [url.split("/locations/")[1] for url in asked] == [f"{REGION}/vmSizes", f"{REGION}/usages"]
    quota.check_in_time(lambda: check(workspace()), "STANDARD_D2_V2", True, 10)  # low priority: its own quota
    with pytest.raises(SystemExit) as stop:  # a GPU family at 0, as in a new subscription
        quota.check_in_time(lambda: check(workspace()), CHOSEN.gpu_vm_size, False, 10)
    assert "Standard NCASv3_T4 Family Cluster Dedicated vCPUs has 0/0 in use" in str(stop.value)


def run_02(monkeypatch, existing, *flags):
    """02's main() with a reached workspace; `existing`: whether the cluster is there. Returns what was created."""
    import azureml.core.compute
    from azureml.core.compute import ComputeTarget
    from azureml.core.compute_target import ComputeTargetException

    created = []

    class Cluster(ComputeTarget):  # the SDK's class; only the look-up and creation, which ask Azure, stand in
        def __new__(cls, workspace, name):  # the SDK's look-up: GET the cluster
            if not existing:
                raise ComputeTargetException(f"ComputeTargetNotFound: {name}")
            return SimpleNamespace(wait_for_completion=lambda show_output=False: None)  # the AmlCompute found

        @staticmethod
        def create(ws, name, config):
            created.append(name)
            return SimpleNamespace(wait_for_completion=lambda show_output=False: None)

    main = script("02-create-compute.py")["main"]
    monkeypatch.setitem(main.__globals__, "ComputeTarget", Cluster)  # 02's creation
    monkeypatch.setattr(azureml.core.compute, "ComputeTarget", Cluster)  # the look-up in aml/sdk.py
    main(list(flags))  # pre-flight and the login are the project's own, reaching the workspace
    return created


def test_a_cluster_is_created_only_when_the_quota_leaves_room_and_an_existing_one_skips_the_check(
    monkeypatch, azure, reached_workspace, capsys
):
    answers, asked = azure
    assert run_02(monkeypatch, existing=False) == [CHOSEN.compute_name]
    assert len(asked) == 2
    answers["usages"]["value"] = usages(dv2_used=5)
    with pytest.raises(SystemExit, match="has 5/6 in use"):
        run_02(monkeypatch, existing=False)
    asked.clear()
    assert run_02(monkeypatch, existing=True) == [] and asked == []  # found: no quota asked, nothing created
    assert "Found existing cluster, use it." in capsys.readouterr().out


# 02's --gpu cluster, absent in the clean-up test (unless it is the chosen cluster itself)
MISSING = settings.GPU_COMPUTE_NAME if settings.GPU_COMPUTE_NAME != CHOSEN.compute_name else None


def test_clean_up_deletes_the_clusters_that_exist_and_without_azure_ai_ml_says_endpoints_are_unchecked(
    monkeypatch, reached_workspace, capsys
):
    import azureml.core.compute
    from azureml.core import Workspace
    from azureml.core.compute import ComputeTarget
    from azureml.core.compute_target import ComputeTargetException

    deleted = []

    class Cluster(ComputeTarget):  # the SDK's class; only what asks Azure (the look-up, the deletion) stands in
        def __new__(cls, workspace, name):
            if name == MISSING:
                raise ComputeTargetException(f"ComputeTargetNotFound: {name}")
            return SimpleNamespace(name=name, delete=lambda: deleted.append(name))

    details = {  # Workspace.get_details(), as Azure answers: the resources it was made with, by id
        "storageAccount": WORKSPACE_PARTS["storage_account"],
        "containerRegistry": WORKSPACE_PARTS["container_registry"],
        "applicationInsights": WORKSPACE_PARTS["application_insights"],
        "keyVault": WORKSPACE_PARTS["key_vault"],
    }
    monkeypatch.setattr(azureml.core.compute, "ComputeTarget", Cluster)  # the look-up in aml/sdk.py
    monkeypatch.setattr(Workspace, "get_details", lambda self: details)
    monkeypatch.setitem(sys.modules, "azure.ai.ml", None)  # the v1 environment: no SDK v2 for 08's endpoints
    script("99-clean-up.py")["main"](["--yes"])
    assert deleted == [CHOSEN.compute_name]
    out = capsys.readouterr().out
    assert "Endpoints not checked: azure-ai-ml is not installed here" in out
    if MISSING:
        assert f"No cluster '{MISSING}' in workspace 'ws1': nothing to delete." in out
    assert f"Azure is deleting cluster '{CHOSEN.compute_name}'" in out
    assert out.splitlines()[-4:] == BILLED_LINES  # what still costs, by name, and what --resource-group leaves


@pytest.fixture
def failed_run(monkeypatch):
    """A Run whose details and log files Azure ML would send: the details' log URLs, then each log's text."""
    import azureml.core.run
    from azureml.core import Run

    run = Run.__new__(Run)
    run._run_id = "day1_1700000000_abcd"
    url = "https://ws1store.blob.core.windows.net/azureml/ExperimentRun/dcid.day1/user_logs/std_log.txt?sv=sas"
    monkeypatch.setattr(
        Run, "get_details", lambda self: {"status": "Failed", "logFiles": {"user_logs/std_log.txt": url}}
    )
    monkeypatch.setattr(
        azureml.core.run, "download_file_stream", lambda source, session=None: {url: REMOTE_LOG}[source]
    )
    return run


def test_logs_of_a_failed_run_show_its_traceback_with_this_folders_paths(
    monkeypatch, failed_run, capsys, tmp_path, reached_workspace
):
    from aml import arguments, remote_error

    from azureml.core import Run

    monkeypatch.setattr(Run, "get", staticmethod(lambda ws, run_id: failed_run if run_id == failed_run.id else None))
    monkeypatch.setattr(remote_error, "LAST_RUN_FILE", tmp_path / "last-run.txt")
    remote_error.remember(failed_run.id, tmp_path / "last-run.txt")
    submission.show_logs(arguments.submission_arguments("test", ["--logs"]))  # the project's login, reaching it
    assert reached_workspace.reached == [(reached_workspace.config, "ServicePrincipalAuthentication")]
    out = capsys.readouterr().out
    assert f'  File "{SRC / "train.py"}", line 1, in <module>\n    x\n  File "{SRC / "model.py"}", line 2' in out
    assert out.rstrip().endswith("ValueError: broken on purpose")


def test_wait_on_a_run_that_fails_brings_its_error_home_and_stops(monkeypatch, failed_run, capsys):
    from azureml.core import Run
    from azureml.exceptions import ActivityFailedException

    def wait_for_completion(self, show_output=False):
        raise ActivityFailedException(error_details=json.dumps({"message": "UserError: ValueError"}))

    monkeypatch.setattr(Run, "wait_for_completion", wait_for_completion)
    with pytest.raises(SystemExit) as stop:
        submission.wait_for(failed_run)
    assert str(stop.value).startswith(f"error: run {failed_run.id} failed")
    assert f"--logs {failed_run.id}" in str(stop.value)
    assert f'File "{SRC / "model.py"}", line 2, in forward' in capsys.readouterr().out


def test_the_regions_dedicated_and_low_priority_totals_are_checked_too_and_named_when_short(azure, reached_workspace):
    workspace = reached_workspace.workspace
    from aml import quota

    answers, _ = azure
    check = script("02-create-compute.py")["quota_answers"]
    answers["usages"]["value"] = usages(total_used=99)  # the family has room; the region's total has 1 vCPU left
    with pytest.raises(SystemExit) as stop:
        quota.check_in_time(lambda: check(workspace()), "STANDARD_D2_V2", False, 10)
    assert "Total Cluster Dedicated Regional vCPUs has 99/100 in use" in str(stop.value)
    assert "request more for 'Total Cluster Dedicated Regional vCPUs' in the Azure portal" in str(stop.value)
    quota.check_in_time(lambda: check(workspace()), "STANDARD_D2_V2", True, 10)  # low priority: not that total
    answers["usages"]["value"] = usages(low_priority_used=99)
    with pytest.raises(SystemExit) as stop:
        quota.check_in_time(lambda: check(workspace()), "STANDARD_D2_V2", True, 10)
    assert str(stop.value).startswith(f"error: not enough low-priority vCPU quota in {REGION}")
    assert "Total Cluster LowPriority Regional vCPUs has 99/100 in use" in str(stop.value)
    quota.check_in_time(lambda: check(workspace()), "STANDARD_D2_V2", False, 10)  # dedicated: room in both
