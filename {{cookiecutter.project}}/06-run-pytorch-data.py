{%- if cookiecutter.sdk == "v1" -%}
"""Train on the cluster with CIFAR-10 mounted from the datastore instead of downloaded (tutorial part 4)."""
{%- else -%}
"""Train on the cluster with CIFAR-10 mounted from the data asset instead of downloaded (tutorial part 4)."""

import shlex
{%- endif %}

import aml_project
{%- if cookiecutter.sdk == "v1" %}

from azureml.core import Environment, ScriptRunConfig
{%- else %}

from azure.ai.ml import Input, command
from azure.ai.ml.constants import AssetTypes, InputOutputModes
{%- endif %}


def main(argv=None):
{%- if cookiecutter.sdk == "v1" %}
    """Mount datasets/cifar10 from the default datastore, pass it as --data-path, and submit (or --dry-run)."""
{%- else %}
    """Mount the latest cifar10 data asset, pass it as --data-path, and submit (or --dry-run)."""
{%- endif %}
    args = aml_project.submission_arguments(__doc__, argv)
{%- if cookiecutter.sdk == "v1" %}
    aml_project.preflight(compute=args.compute, needs_workspace=not args.dry_run)
    ws = None if args.dry_run else aml_project.load_workspace(args.timeout)

    # the data uploaded by 05-upload-data.py, mounted where train.py runs
    datastore = aml_project.default_datastore(ws, args.timeout)
    data = datastore.path(aml_project.DATASTORE_PATH, data_reference_name="cifar10").as_mount()

    config = ScriptRunConfig(
        source_directory=str(aml_project.SOURCE_DIR),
        script="train.py",
        arguments=["--data-path", str(data), *args.train_args],
        compute_target=args.compute,
        distributed_job_config=aml_project.distribution(args),
{%- else %}

    # the data uploaded by 05-upload-data.py, mounted where train.py runs
    data = Input(
        type=AssetTypes.URI_FOLDER, path=f"azureml:{aml_project.DATA_ASSET}@latest", mode=InputOutputModes.RO_MOUNT
    )

    job = command(
        code=str(aml_project.SOURCE_DIR),
        command=" ".join(["python train.py --data-path {% raw %}${{inputs.data}}{% endraw %}", *map(shlex.quote, args.train_args)]),
        inputs={"data": data},
        # set up pytorch environment
        environment=aml_project.training_environment(),
        compute=args.compute,
        experiment_name=args.experiment,
        display_name="train-mounted-data",
        distribution=aml_project.distribution(args),
        instance_count=args.node_count,
{%- endif %}
    )
{%- if cookiecutter.sdk == "v1" %}
    config.run_config.data_references = {data.data_reference_name: data.to_config()}

    # set up pytorch environment
    env = Environment.from_conda_specification(name=aml_project.ENV_NAME, file_path=str(aml_project.ENV_FILE))
    config.run_config.environment = env

    aml_project.submit(config, args, ws=ws, checked=True)
{%- else %}

    aml_project.submit(job, args)
{%- endif %}


if __name__ == "__main__":
    main()
