"""Run src/hello.py on the compute cluster (tutorial step 3)."""

from aml import arguments, costs, login, messages, preflight, settings, submission

from azureml.core import Experiment, ScriptRunConfig

HELLO_MAX_SECONDS = costs.hours(settings.HELLO_MAX_HOURS)  # the default time limit of hello's run


def build_run_config(compute, max_seconds=HELLO_MAX_SECONDS):
    """The run to submit: hello.py on `compute`, in the training environment (CPU), which Azure ML builds once;
    Azure ML cancels it after max_seconds."""
    return ScriptRunConfig(
        source_directory=str(settings.SOURCE_DIR),
        script="hello.py",
        compute_target=compute,
        environment=submission.training_environment(),
        max_run_duration_seconds=max_seconds,
    )


def main(argv=None):
    """Submit hello.py and print the link to the run in Azure ML Studio."""
    args = arguments.hello_arguments(__doc__, argv)

    workspace = preflight.check(compute=args.compute, upload=True)
    config = build_run_config(args.compute, args.max_seconds)
    ws = login.connect(workspace, args.timeout)
    cluster = costs.read_or_planned(lambda: submission.read_cluster(ws, args.compute), args.compute, args.timeout)
    costs.print_costs(cluster, args.max_seconds)
    experiment = Experiment(workspace=ws, name=args.experiment)
    run = messages.bounded(
        lambda: experiment.submit(config), settings.SUBMIT_TIMEOUT_S, "submitting hello.py", "run again"
    )
    aml_url = run.get_portal_url()
    print(aml_url)


if __name__ == "__main__":
    main()
