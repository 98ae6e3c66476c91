{%- if cookiecutter.sdk == "v1" -%}
"""Train on the cluster with CIFAR-10 mounted from the datastore instead of downloaded (tutorial part 4)."""
{%- else -%}
"""Train on the cluster with CIFAR-10 mounted from the data asset instead of downloaded (tutorial part 4)."""

import shlex
{%- endif %}

import aml_project
{%- if cookiecutter.sdk == "v1" %}

from azureml.core import ScriptRunConfig
{%- else %}

from azure.ai.ml import Input, command
from azure.ai.ml.constants import AssetTypes, InputOutputModes
{%- endif %}


{%- if cookiecutter.sdk == "v1" %}


def build_run_config(args, ws=None):
    """The run to submit: train.py on datasets/cifar10 of the default datastore (ws None: its usual name), mounted."""
    # the data uploaded by 05-upload-data.py, mounted where train.py runs
    datastore = aml_project.default_datastore(ws, args.timeout)
    data = datastore.path(aml_project.DATASTORE_PATH, data_reference_name="cifar10").as_mount()

    config = ScriptRunConfig(
        source_directory=str(aml_project.SOURCE_DIR),
        script="train.py",
        arguments=aml_project.train_arguments(args, "--data-path", str(data)),
        compute_target=args.compute,
        distributed_job_config=aml_project.distribution(args),
    )
    config.run_config.data_references = {data.data_reference_name: data.to_config()}

    # set up pytorch environment
    config.run_config.environment = aml_project.training_environment(gpu=args.gpu)
    return config
{%- else %}


def build_job(args):
    """The job to submit: train.py on the latest cifar10 data asset, mounted read-only, passed as --data-path."""
    # the data uploaded by 05-upload-data.py, mounted where train.py runs (a folder holding the batch files)
    data = Input(
        type=AssetTypes.URI_FOLDER, path=f"azureml:{aml_project.DATA_ASSET}@latest", mode=InputOutputModes.RO_MOUNT
    )

    return command(
        code=str(aml_project.SOURCE_DIR),
        command=" ".join(
            ["python train.py --data-path {% raw %}${{inputs.data}}{% endraw %}", *map(shlex.quote, aml_project.train_arguments(args))]
        ),
        inputs={"data": data},
        # set up pytorch environment
        environment=aml_project.training_environment(gpu=args.gpu),
        compute=args.compute,
        experiment_name=args.experiment,
        display_name="train-mounted-data",
        distribution=aml_project.distribution(args),
        instance_count=args.node_count,
    )
{%- endif %}


def main(argv=None):
{%- if cookiecutter.sdk == "v1" %}
    """Mount datasets/cifar10 from the default datastore, pass it as --data-path, and submit (or --dry-run)."""
{%- else %}
    """Mount the latest cifar10 data asset, pass it as --data-path, and submit (or --dry-run)."""
{%- endif %}
    args = aml_project.submission_arguments(__doc__, argv)
    aml_project.preflight(compute=args.compute, needs_workspace=not args.dry_run)
{%- if cookiecutter.sdk == "v1" %}
    ws = None if args.dry_run else aml_project.load_workspace(args.timeout)
    aml_project.submit(build_run_config(args, ws), args, ws=ws, checked=True)
{%- else %}
    aml_project.submit(build_job(args), args, checked=True)
{%- endif %}


if __name__ == "__main__":
    main()
