"""Train src/train.py on the compute cluster in the environment of .azureml/pytorch-env.yml (tutorial step 4)."""
{%- if cookiecutter.sdk == "v1" %}

import aml_project

from azureml.core import ScriptRunConfig
{%- else %}

import shlex

import aml_project

from azure.ai.ml import command
{%- endif %}


{%- if cookiecutter.sdk == "v1" %}


def build_run_config(args):
    """The run to submit: train.py with its flags, on the cluster, in the CPU or (--gpu) GPU environment."""
    config = ScriptRunConfig(
        source_directory=str(aml_project.SOURCE_DIR),
        script="train.py",
        arguments=aml_project.train_arguments(args),
        compute_target=args.compute,
        distributed_job_config=aml_project.distribution(args),
    )

    # set up pytorch environment
    config.run_config.environment = aml_project.training_environment(gpu=args.gpu)
    return config
{%- else %}


def build_job(args):
    """The job to submit: train.py with its flags, on the cluster, in the CPU or (--gpu) GPU environment."""
    return command(
        code=str(aml_project.SOURCE_DIR),
        command=shlex.join(["python", "train.py", *aml_project.train_arguments(args)]),
        # set up pytorch environment
        environment=aml_project.training_environment(gpu=args.gpu),
        compute=args.compute,
        experiment_name=args.experiment,
        display_name="train",
        distribution=aml_project.distribution(args),
        instance_count=args.node_count,
    )
{%- endif %}


def main(argv=None):
    """Submit training (flags after -- go to train.py), or with --dry-run show what would be submitted."""
    args = aml_project.submission_arguments(__doc__, argv)
    aml_project.preflight(compute=args.compute, needs_workspace=not args.dry_run)
{%- if cookiecutter.sdk == "v1" %}
    aml_project.submit(build_run_config(args), args, checked=True)
{%- else %}
    aml_project.submit(build_job(args), args, checked=True)
{%- endif %}


if __name__ == "__main__":
    main()
