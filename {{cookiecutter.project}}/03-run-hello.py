"""Run src/hello.py on the compute cluster (tutorial step 3)."""

import argparse

import aml_project
{%- if cookiecutter.sdk == "v1" %}

from azureml.core import Experiment, ScriptRunConfig
{%- else %}

from azure.ai.ml import command
{%- endif %}



{%- if cookiecutter.sdk == "v1" %}


def build_run_config(compute):
    """The run to submit: hello.py on `compute`, in the training environment (CPU), which Azure ML builds once."""
    return ScriptRunConfig(
        source_directory=str(aml_project.SOURCE_DIR),
        script="hello.py",
        compute_target=compute,
        environment=aml_project.training_environment(),
    )
{%- else %}


def build_job(compute):
    """The job to submit: hello.py on `compute`, in the training environment (CPU), which Azure ML builds once."""
    return command(
        code=str(aml_project.SOURCE_DIR),
        command="python hello.py",
        environment=aml_project.training_environment(),
        compute=compute,
        experiment_name=aml_project.HELLO_EXPERIMENT,
        display_name="hello",
    )
{%- endif %}


def main(argv=None):
{%- if cookiecutter.sdk == "v1" %}
    """Submit hello.py and print the link to the run in Azure ML Studio."""
{%- else %}
    """Submit hello.py and print the link to the job in Azure ML Studio."""
{%- endif %}
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compute", default=aml_project.COMPUTE_NAME)
    parser.add_argument("--timeout", type=float, default=aml_project.TIMEOUT_S, help="seconds for login (default: 60)")
    args = parser.parse_args(argv)

    aml_project.preflight(compute=args.compute)
{%- if cookiecutter.sdk == "v1" %}
    config = build_run_config(args.compute)
    ws = aml_project.load_workspace(args.timeout)
    experiment = Experiment(workspace=ws, name=aml_project.HELLO_EXPERIMENT)
    run = aml_project.bounded(
        lambda: experiment.submit(config), aml_project.SUBMIT_TIMEOUT_S, "submitting hello.py", "run again"
    )
    aml_url = run.get_portal_url()
{%- else %}
    job = build_job(args.compute)
    aml_project.job_yaml(job)  # the SDK's own check of the job, offline, as for training
    ml_client = aml_project.ml_client(args.timeout)
    returned_job = aml_project.bounded(
        lambda: ml_client.jobs.create_or_update(job), aml_project.SUBMIT_TIMEOUT_S, "submitting hello.py", "run again"
    )
    aml_url = returned_job.studio_url
{%- endif %}
    print(aml_url)


if __name__ == "__main__":
    main()
