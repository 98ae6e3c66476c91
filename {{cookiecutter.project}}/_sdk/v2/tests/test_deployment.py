"""08-deploy.py with azure-ai-ml's own objects: the endpoint and deployment it sends (their REST bodies), its dry run,
and deploying, calling and deleting, with only the workspace's answers made up (the operations that ask Azure)."""

import json
import re
from types import SimpleNamespace

from aml import costs, deployment, endpoints, scoring, serving, settings

import pytest
import yaml
from script_helpers import SUBSCRIPTION, dry_run, job_lock_lines, pip_entry, write_config

CONFIG = {"subscription_id": SUBSCRIPTION, "resource_group": "ml-rg", "workspace_name": "ml-ws"}


def built(*flags):
    """The endpoint and deployment 08 builds with these flags, for endpoint cifar10-test and model version 3."""
    args = deployment.arguments("test", list(flags))
    return (
        args,
        deployment.endpoint_entity("cifar10-test"),
        deployment.deployment_entity(args, "cifar10-test", deployment.model_reference("cifar10-net", "3")),
    )


def locked_serving_conda():
    """The serving environment file, its pip list as the serving lock pins it for Linux x86-64."""
    conda = yaml.safe_load(serving.ENV_FILE.read_text())
    pip_entry(conda)["pip"] = job_lock_lines("serving")
    return conda


def test_the_deployment_sends_the_model_score_py_the_serving_environment_and_the_instances():
    _, endpoint, made = built("--instance-type", "Standard_DS2_v2", "--instance-count", "2")
    body = made._to_rest_object(location="eastus").as_dict()
    assert body["properties"]["model"] == "azureml:cifar10-net:3"
    assert body["properties"]["codeConfiguration"] == {"codeId": str(settings.SOURCE_DIR), "scoringScript": "score.py"}
    assert body["properties"]["instanceType"] == "Standard_DS2_v2" and body["sku"]["capacity"] == 2
    assert body["properties"]["endpointComputeType"] == "Managed"
    environment = made.environment._to_rest_object().as_dict()["properties"]
    assert environment["image"] == settings.BASE_IMAGE
    assert yaml.safe_load(environment["condaFile"]) == locked_serving_conda()  # the serving lock's pins
    sent = endpoint._to_rest_online_endpoint("eastus").as_dict()["properties"]
    assert sent["authMode"] == "Key"


def test_dry_run_shows_endpoint_deployment_instances_and_the_cost_per_hour_offline(project_copy, offline):
    write_config(project_copy)
    out = dry_run("08-deploy.py", project_copy, offline, "--instance-count", "2")
    name = deployment.endpoint_name(json.loads((project_copy / ".azureml" / "config.json").read_text()))
    lines = out.splitlines()
    assert lines[:3] == [
        f"endpoint:    {name}",
        "deployment:  blue, taking all of the endpoint's traffic",
        "model:       azureml:cifar10-net@latest",
    ]
    hourly = 2 * costs.ENDPOINT_PRICES_PER_HOUR[costs.ENDPOINT_INSTANCE_TYPE]
    assert f"  instances:   2 x {costs.ENDPOINT_INSTANCE_TYPE}" in lines
    assert any(line.startswith(f"  per hour:    about ${hourly:.3f} ") for line in lines), out
    shown = yaml.safe_load(out.split("The deployment, as Azure ML's YAML:\n")[1].split("Dry run:")[0])
    assert (shown["endpoint_name"], shown["instance_count"], shown["model"]) == (name, 2, "azureml:cifar10-net@latest")
    assert shown["code_configuration"]["scoring_script"] == "score.py"
    assert out.rstrip().endswith("Dry run: nothing was contacted or created.")


def test_the_printed_deployment_is_what_azure_mls_own_loader_reads(tmp_path):
    from azure.ai.ml import load_online_deployment

    args, _, made = built()
    made.dump(tmp_path / "deployment.yml")
    loaded = load_online_deployment(tmp_path / "deployment.yml")
    assert (loaded.name, loaded.endpoint_name, loaded.instance_type, loaded.instance_count) == (
        "blue", "cifar10-test", args.instance_type, 1)  # fmt: skip
    assert loaded.code_configuration.scoring_script == "score.py"
    assert loaded.environment.conda_file == locked_serving_conda()


class Poller:
    """What a begin_* operation returns: its result() (Azure's long-running operation, done)."""

    def __init__(self, value=None):
        self.value = value

    def result(self):
        return self.value


class Workspace:
    """An MLClient's operations as far as 08 calls them, answering as the workspace would; calls kept in order."""

    def __init__(self, models=(3,), endpoints=()):
        from azure.ai.ml.entities import ManagedOnlineEndpoint
        from azure.core.exceptions import ResourceNotFoundError

        self.calls, self.sent = [], {}
        kept = {name: ManagedOnlineEndpoint(name=name) for name in endpoints}
        client = self

        class Endpoints:
            def begin_create_or_update(self, endpoint):
                client.calls.append(("endpoint", endpoint.name, dict(endpoint.traffic or {})))
                uri = f"https://{endpoint.name}.eastus.inference.ml.azure.com/score"  # as Azure answers
                answered = ManagedOnlineEndpoint(name=endpoint.name, scoring_uri=uri, traffic=endpoint.traffic)
                kept[endpoint.name] = answered
                return Poller(kept[endpoint.name])

            def get(self, name):
                if name not in kept:
                    raise ResourceNotFoundError(f"Endpoint {name} not found")
                return kept[name]

            def begin_delete(self, name):
                client.calls.append(("delete", name))
                kept.pop(name)
                return Poller()

            def invoke(self, endpoint_name, request_file, deployment_name):
                client.calls.append(("invoke", endpoint_name, deployment_name))
                images = json.loads(open(request_file).read())["images"]
                probabilities = dict.fromkeys(("plane", "car", "bird", "cat"), 0.0) | {"cat": 0.75, "dog": 0.25}
                return json.dumps({"predictions": [{"class": "cat", "probabilities": probabilities}] * len(images)})

        class Deployments:
            def begin_create_or_update(self, made):
                client.calls.append(("deployment", made.name, made.endpoint_name))
                client.sent["deployment"] = made
                return Poller(made)

        class Models:
            def get(self, name, label=None):
                if not models:
                    raise ResourceNotFoundError(f"Model {name} not found")
                return SimpleNamespace(name=name, version=str(max(models)))

        self.online_endpoints, self.online_deployments, self.models = Endpoints(), Deployments(), Models()


def test_deploying_creates_the_endpoint_then_the_latest_model_s_deployment_then_sends_it_all_traffic(capsys):
    client = Workspace(models=(1, 4, 2))
    args = deployment.arguments("test", [])
    version = deployment.latest_version(client, "cifar10-net", 10)
    deployment.deploy(client, args, "cifar10-test", deployment.model_reference("cifar10-net", version))
    assert client.calls == [
        ("endpoint", "cifar10-test", {}),
        ("deployment", "blue", "cifar10-test"),
        ("endpoint", "cifar10-test", {"blue": 100}),
    ]
    assert client.sent["deployment"].model == "azureml:cifar10-net:4"
    out = capsys.readouterr().out
    assert "Endpoint 'cifar10-test' answers at https://cifar10-test.eastus.inference.ml.azure.com/score" in out
    assert "python 08-deploy.py --delete" in out


def test_without_a_registered_model_deploying_stops_naming_07():
    with pytest.raises(SystemExit) as stop:
        deployment.latest_version(Workspace(models=()), "cifar10-net", 10)
    assert str(stop.value) == (
        "error: the workspace has no model 'cifar10-net'\nfix: register one: python 07-download-model.py"
    )


def test_invoke_sends_the_pictures_as_one_json_batch_and_prints_a_line_for_each(tmp_path, capsys):
    from PIL import Image

    pictures = [tmp_path / "a.png", tmp_path / "b.jpg"]
    for path in pictures:
        Image.new("RGB", (40, 30), "green").save(path)
    client = Workspace(endpoints=("cifar10-test",))
    args = deployment.arguments("test", ["--invoke", *map(str, pictures)])
    deployment.invoke(client, args, "cifar10-test", scoring.request_body(scoring.read_pictures(args.invoke)))
    assert client.calls == [("invoke", "cifar10-test", "blue")]
    assert capsys.readouterr().out.splitlines() == [f"{path}: cat 75.0%, dog 25.0%, plane 0.0%" for path in pictures]


def test_delete_removes_the_endpoint_and_says_so_when_there_is_none(capsys):
    client = Workspace(endpoints=("cifar10-test",))
    endpoints.delete(client, "cifar10-test", 10)
    endpoints.delete(client, "cifar10-test", 10)
    assert client.calls == [("delete", "cifar10-test")]
    assert capsys.readouterr().out.splitlines() == [
        "Deleting endpoint 'cifar10-test' and its deployments (some minutes) ...",
        "Deleted endpoint 'cifar10-test': it bills no more.",
        "No endpoint 'cifar10-test' in the workspace: nothing to delete.",
    ]


def test_the_default_endpoint_name_is_the_workspaces_own_and_follows_azure_mls_rule():
    first = deployment.endpoint_name(CONFIG)
    assert first == deployment.endpoint_name(dict(CONFIG))  # the same workspace, the same name
    assert first != deployment.endpoint_name({**CONFIG, "workspace_name": "other-ws"})
    assert re.fullmatch(r"cifar10-[0-9a-f]{8}", first)
    assert deployment.names.broken_rule("endpoint_name", first) is None
