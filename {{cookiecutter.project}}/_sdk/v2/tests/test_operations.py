"""02's quota check, 99's cluster deletion and a failed job's error (--logs, --wait) with azure-ai-ml, Azure's
answers given where the SDK would receive them: its generated REST operations, or the SDK method that asks Azure."""

from pathlib import Path
from types import SimpleNamespace

from aml import cleanup, login, preflight, settings, submission

import pytest
from azure_answers import BILLED_LINES, CONFIG, REGION, REMOTE_LOG, SIZES, WORKSPACE_PARTS, usages
from conftest import SRC
from script_helpers import SUBSCRIPTION, script

CHOSEN = settings.load()


class Credential:
    """A login that never asks Azure (nothing here reaches the network)."""

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken("token", 4102444800)


@pytest.fixture
def client(monkeypatch):
    """An MLClient whose REST operations answer as Azure would: the JSON of vmSizes and usages, read by the SDK's
    own models; the calls are recorded in client.asked."""
    from azure.ai.ml import MLClient
    from azure.ai.ml._restclient.arm_ml_service.models import Usage, VirtualMachineSizeListResult
    from azure.ai.ml.entities import Workspace

    ml_client = MLClient(Credential(), SUBSCRIPTION, "rg", "ws1")
    ml_client.answers, ml_client.asked = {"usages": usages()}, []
    compute = ml_client.compute

    def sizes(location, **kwargs):
        ml_client.asked.append(("vmSizes", location))
        return VirtualMachineSizeListResult({"value": SIZES})

    def listed(location, cls=None, **kwargs):
        ml_client.asked.append(("usages", location))
        return cls([Usage(item) for item in ml_client.answers["usages"]])  # the SDK's cls makes its entities

    monkeypatch.setattr(compute._vmsize_operations, "list", sizes)
    monkeypatch.setattr(compute._usage_operations, "list", listed)
    monkeypatch.setattr(
        ml_client.workspaces, "get", lambda name: Workspace(name=name, location=REGION, **WORKSPACE_PARTS)
    )
    return ml_client


def test_a_family_without_room_for_one_node_stops_with_its_quota_and_the_fix(client):
    from aml import quota

    client.answers["usages"] = usages(dv2_used=6)
    answers = script("02-create-compute.py")["quota_answers"]
    with pytest.raises(SystemExit) as stop:
        quota.check_in_time(lambda: answers(client), "STANDARD_D2_V2", False, 10)
    message = str(stop.value)
    assert message.startswith(
        f"error: not enough dedicated vCPU quota in {REGION} for one STANDARD_D2_V2 node (2 vCPUs, family "
        "standardDv2Family): Standard Dv2 Family Cluster Dedicated vCPUs has 6/6 in use"
    )
    assert "Quotas, then Machine learning" in message and "--vm-size" in message and "--low-priority" in message
    assert client.asked == [("vmSizes", REGION), ("usages", REGION)]
    quota.check_in_time(lambda: answers(client), "STANDARD_D2_V2", True, 10)  # low priority: its own quota
    with pytest.raises(SystemExit) as stop:  # a GPU family at 0, as in a new subscription
        quota.check_in_time(lambda: answers(client), CHOSEN.gpu_vm_size, False, 10)
    assert "Standard NCASv3_T4 Family Cluster Dedicated vCPUs has 0/0 in use" in str(stop.value)


def run_02(monkeypatch, client, existing, *flags):
    """02's main() with a reached workspace; `existing`: whether the cluster is there. Returns what was created."""
    from azure.ai.ml.entities import AmlCompute
    from azure.core.exceptions import ResourceNotFoundError

    created = []

    def get(name):
        if not existing:
            raise ResourceNotFoundError(f"ComputeNotFound: {name}")
        return AmlCompute(name=name, size=CHOSEN.vm_size, max_instances=CHOSEN.max_nodes)

    def create(cluster):
        created.append(cluster.name)
        return SimpleNamespace(result=lambda: cluster)

    monkeypatch.setattr(client.compute, "get", get)
    monkeypatch.setattr(client.compute, "begin_create_or_update", create)
    monkeypatch.setattr(preflight, "check", lambda **kwargs: CONFIG)
    monkeypatch.setattr(login, "connect", lambda *args: client)
    script("02-create-compute.py")["main"](list(flags))
    return created


def test_a_cluster_is_created_only_when_the_quota_leaves_room_and_an_existing_one_skips_the_check(
    monkeypatch, client, capsys
):
    assert run_02(monkeypatch, client, existing=False) == [CHOSEN.compute_name]
    assert len(client.asked) == 2
    client.answers["usages"] = usages(dv2_used=5)
    with pytest.raises(SystemExit, match="has 5/6 in use"):
        run_02(monkeypatch, client, existing=False)
    client.asked.clear()
    assert run_02(monkeypatch, client, existing=True) == [] and client.asked == []  # found: no quota asked
    assert "Found existing cluster, use it." in capsys.readouterr().out


# 02's --gpu cluster, absent in the clean-up test (unless it is the chosen cluster itself)
MISSING = settings.GPU_COMPUTE_NAME if settings.GPU_COMPUTE_NAME != CHOSEN.compute_name else None


def workspace_endpoints(monkeypatch, client, deleted):
    """The workspace's one managed online endpoint (08's), as the client's endpoint operations read and delete it."""
    from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint

    endpoints = {"cifar10-0a1b2c3d": ManagedOnlineEndpoint(name="cifar10-0a1b2c3d")}
    blue = ManagedOnlineDeployment(name="blue", endpoint_name="cifar10-0a1b2c3d", instance_type="Standard_DS3_v2",
                                   instance_count=2)  # fmt: skip
    monkeypatch.setattr(client.online_endpoints, "list", lambda: list(endpoints.values()))
    monkeypatch.setattr(client.online_endpoints, "get", lambda name: endpoints[name])
    monkeypatch.setattr(
        client.online_endpoints,
        "begin_delete",
        lambda name: SimpleNamespace(result=lambda: deleted.append(endpoints.pop(name).name)),
    )
    monkeypatch.setattr(client.online_deployments, "list", lambda endpoint_name: [blue][: endpoint_name in endpoints])
    return endpoints


def test_clean_up_deletes_the_clusters_and_endpoints_that_exist(monkeypatch, client, capsys):
    from azure.ai.ml.entities import AmlCompute
    from azure.core.exceptions import ResourceNotFoundError

    deleted = []

    def get(name):
        if name == MISSING:
            raise ResourceNotFoundError(f"ComputeNotFound: {name}")
        return AmlCompute(name=name, size=CHOSEN.vm_size)

    monkeypatch.setattr(client.compute, "get", get)
    monkeypatch.setattr(
        client.compute, "begin_delete", lambda name: SimpleNamespace(result=lambda: deleted.append(name))
    )
    monkeypatch.setattr(cleanup, "read_config", lambda: CONFIG)
    monkeypatch.setattr(login, "connect", lambda *args: client)
    endpoints = workspace_endpoints(monkeypatch, client, deleted)
    script("99-clean-up.py")["main"](["--yes"])
    assert deleted == [CHOSEN.compute_name, "cifar10-0a1b2c3d"] and endpoints == {}
    out = capsys.readouterr().out
    if MISSING:
        assert f"No cluster '{MISSING}' in workspace 'ws1': nothing to delete." in out
    assert f"Deleted cluster '{CHOSEN.compute_name}'." in out
    assert "Endpoint 'cifar10-0a1b2c3d': deployments blue (2 x Standard_DS3_v2); about $0.586 an hour, used or not" in (
        out
    )
    assert "Deleted endpoint 'cifar10-0a1b2c3d': it bills no more." in out
    assert out.splitlines()[-4:] == BILLED_LINES  # what still costs, by name, and what --resource-group leaves


@pytest.fixture
def failed_job(monkeypatch, client):
    """A failed job: jobs.download writes its logs as the SDK does (download_path/artifacts/user_logs/...)."""
    name = "sincere_rose_abc123"

    def download(job_name, download_path=".", **kwargs):
        assert job_name == name
        logs = Path(download_path, "artifacts", "user_logs")
        logs.mkdir(parents=True)
        (logs / "std_log.txt").write_text(REMOTE_LOG)
        (Path(download_path, "artifacts", "outputs")).mkdir()

    monkeypatch.setattr(client.jobs, "download", download)
    monkeypatch.setattr(client.jobs, "get", lambda job_name: SimpleNamespace(name=job_name, status="Failed"))
    return name


def test_logs_of_a_failed_job_show_its_traceback_with_this_folders_paths(
    monkeypatch, client, failed_job, capsys, tmp_path
):
    from aml import arguments, remote_error

    monkeypatch.setattr(submission, "read_config", lambda: CONFIG)
    monkeypatch.setattr(remote_error, "LAST_RUN_FILE", tmp_path / "last-run.txt")
    remote_error.remember(failed_job)
    submission.show_logs(arguments.submission_arguments("test", ["--logs"]), connection=client)
    out = capsys.readouterr().out
    assert f'  File "{SRC / "train.py"}", line 1, in <module>\n    x\n  File "{SRC / "model.py"}", line 2' in out
    assert out.rstrip().endswith("ValueError: broken on purpose")


def test_wait_on_a_job_that_fails_brings_its_error_home_and_stops(monkeypatch, client, failed_job, capsys):
    from azure.ai.ml.exceptions import ErrorCategory, ErrorTarget, JobException

    def stream(name):  # as the SDK ends streaming a failed job
        raise JobException(
            message='Exception : \n {"code": "UserError", "message": "ValueError: broken on purpose"} ',
            target=ErrorTarget.JOB,
            no_personal_data_message="Exception raised on failed job.",
            error_category=ErrorCategory.SYSTEM_ERROR,
        )

    monkeypatch.setattr(client.jobs, "stream", stream)
    with pytest.raises(SystemExit) as stop:
        submission.wait_for(client, failed_job, 10)
    assert str(stop.value).startswith(f"error: job {failed_job} failed")
    assert f"--logs {failed_job}" in str(stop.value)
    assert f'File "{SRC / "model.py"}", line 2, in forward' in capsys.readouterr().out


def test_the_regions_dedicated_and_low_priority_totals_are_checked_too_and_named_when_short(client):
    from aml import quota

    answers = script("02-create-compute.py")["quota_answers"]
    client.answers["usages"] = usages(total_used=99)  # the family has room; the region's total has 1 vCPU left
    with pytest.raises(SystemExit) as stop:
        quota.check_in_time(lambda: answers(client), "STANDARD_D2_V2", False, 10)
    assert "Total Cluster Dedicated Regional vCPUs has 99/100 in use" in str(stop.value)
    assert "request more for 'Total Cluster Dedicated Regional vCPUs' in the Azure portal" in str(stop.value)
    quota.check_in_time(lambda: answers(client), "STANDARD_D2_V2", True, 10)  # low priority: not that total
    client.answers["usages"] = usages(low_priority_used=99)
    with pytest.raises(SystemExit) as stop:
        quota.check_in_time(lambda: answers(client), "STANDARD_D2_V2", True, 10)
    assert str(stop.value).startswith(f"error: not enough low-priority vCPU quota in {REGION}")
    assert "Total Cluster LowPriority Regional vCPUs has 99/100 in use" in str(stop.value)
    quota.check_in_time(lambda: answers(client), "STANDARD_D2_V2", False, 10)  # dedicated: room in both
