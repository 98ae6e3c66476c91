"""Train src/train.py on the compute cluster in the environment of .azureml/pytorch-env.yml (tutorial step 4)."""
{%- if cookiecutter.sdk == "v1" %}

import aml_project

from azureml.core import Environment, ScriptRunConfig
{%- else %}

import shlex

import aml_project

from azure.ai.ml import command
{%- endif %}


def main(argv=None):
    """Submit training (flags after -- go to train.py), or with --dry-run show what would be submitted."""
    args = aml_project.submission_arguments(__doc__, argv)
{%- if cookiecutter.sdk == "v1" %}

    config = ScriptRunConfig(
        source_directory=str(aml_project.SOURCE_DIR),
        script="train.py",
        arguments=args.train_args,
        compute_target=args.compute,
        distributed_job_config=aml_project.distribution(args),
{%- else %}

    job = command(
        code=str(aml_project.SOURCE_DIR),
        command=shlex.join(["python", "train.py", *args.train_args]),
        # set up pytorch environment
        environment=aml_project.training_environment(),
        compute=args.compute,
        experiment_name=args.experiment,
        display_name="train",
        distribution=aml_project.distribution(args),
        instance_count=args.node_count,
{%- endif %}
    )
{%- if cookiecutter.sdk == "v1" %}

    # set up pytorch environment
    env = Environment.from_conda_specification(name=aml_project.ENV_NAME, file_path=str(aml_project.ENV_FILE))
    config.run_config.environment = env

    aml_project.submit(config, args)
{%- else %}

    aml_project.submit(job, args)
{%- endif %}


if __name__ == "__main__":
    main()
