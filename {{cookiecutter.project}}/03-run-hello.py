"""Run src/hello.py on the compute cluster (tutorial step 3)."""

import argparse

import aml_project
{%- if cookiecutter.sdk == "v1" %}

from azureml.core import Experiment, ScriptRunConfig
{%- else %}

from azure.ai.ml import command
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
    ws = aml_project.load_workspace(args.timeout)
    experiment = Experiment(workspace=ws, name=aml_project.HELLO_EXPERIMENT)

    config = ScriptRunConfig(
        source_directory=str(aml_project.SOURCE_DIR), script="hello.py", compute_target=args.compute
{%- else %}
    ml_client = aml_project.ml_client(args.timeout)

    # the training environment: built once here, then reused by the training job
    job = command(
        code=str(aml_project.SOURCE_DIR),
        command="python hello.py",
        environment=aml_project.training_environment(),
        compute=args.compute,
        experiment_name=aml_project.HELLO_EXPERIMENT,
        display_name="hello",
{%- endif %}
    )
{%- if cookiecutter.sdk == "v1" %}

    run = aml_project.bounded(
        lambda: experiment.submit(config), aml_project.SUBMIT_TIMEOUT_S, "submitting hello.py", "run again"
{%- else %}

    returned_job = aml_project.bounded(
        lambda: ml_client.jobs.create_or_update(job), aml_project.SUBMIT_TIMEOUT_S, "submitting hello.py", "run again"
{%- endif %}
    )
{%- if cookiecutter.sdk == "v1" %}
    aml_url = run.get_portal_url()
{%- else %}
    aml_url = returned_job.studio_url
{%- endif %}
    print(aml_url)


if __name__ == "__main__":
    main()
