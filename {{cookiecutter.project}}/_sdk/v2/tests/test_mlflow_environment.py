"""SDK v2's environment: the plugin that takes MLflow's metrics to Azure ML in a job."""

from importlib import metadata

from packaging.utils import canonicalize_name
from test_environment import PIP


def test_environment_has_the_plugin_that_takes_mlflows_metrics_to_azure_ml_in_a_job():
    stores = {ep.name: canonicalize_name(ep.dist.name) for ep in metadata.entry_points(group="mlflow.tracking_store")}
    assert stores.get("azureml") == "azureml-mlflow"  # the store for the azureml:// tracking URI of a job
    assert "azureml-mlflow" in {canonicalize_name(req.name) for req in PIP}
