"""Run src/hello.py on the compute cluster (tutorial step 3)."""

from aml import arguments, costs, login, messages, preflight, settings, submission

from azure.ai.ml import command

HELLO_MAX_SECONDS = costs.hours(settings.HELLO_MAX_HOURS)  # the default time limit of hello's run


def build_job(compute, experiment, max_seconds=HELLO_MAX_SECONDS):
    """The job to submit: hello.py on `compute`, in the training environment (CPU), which Azure ML builds once;
    Azure ML cancels it after max_seconds."""
    return command(
        code=str(settings.SOURCE_DIR),
        command="python hello.py",
        environment=submission.training_environment(),
        compute=compute,
        experiment_name=experiment,
        display_name="hello",
        timeout=max_seconds,
    )


def main(argv=None):
    """Submit hello.py and print the link to the job in Azure ML Studio."""
    args = arguments.hello_arguments(__doc__, argv)

    workspace = preflight.check(compute=args.compute, upload=True)
    job = build_job(args.compute, args.experiment, args.max_seconds)
    submission.job_yaml(job)  # the SDK's own check of the job, offline, as for training
    ml_client = login.connect(workspace, args.timeout)
    cluster = costs.read_or_planned(
        lambda: submission.read_cluster(ml_client, args.compute), args.compute, args.timeout
    )
    costs.print_costs(cluster, args.max_seconds)
    returned_job = messages.bounded(
        lambda: ml_client.jobs.create_or_update(job), settings.SUBMIT_TIMEOUT_S, "submitting hello.py", "run again"
    )
    aml_url = returned_job.studio_url
    print(aml_url)


if __name__ == "__main__":
    main()
