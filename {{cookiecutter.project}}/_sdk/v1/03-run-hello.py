"""Run src/hello.py on the compute cluster (tutorial step 3)."""

import argparse

from aml import login, messages, preflight, settings, submission

from azureml.core import Experiment, ScriptRunConfig


def build_run_config(compute):
    """The run to submit: hello.py on `compute`, in the training environment (CPU), which Azure ML builds once."""
    return ScriptRunConfig(
        source_directory=str(settings.SOURCE_DIR),
        script="hello.py",
        compute_target=compute,
        environment=submission.training_environment(),
    )


def main(argv=None):
    """Submit hello.py and print the link to the run in Azure ML Studio."""
    chosen = settings.load()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compute", default=chosen.compute_name)
    parser.add_argument("--timeout", type=float, default=settings.TIMEOUT_S, help="seconds for login (default: 60)")
    args = parser.parse_args(argv)

    workspace = preflight.check(compute=args.compute, upload=True)
    config = build_run_config(args.compute)
    ws = login.connect(workspace, args.timeout)
    experiment = Experiment(workspace=ws, name=chosen.hello_experiment_name)
    run = messages.bounded(
        lambda: experiment.submit(config), settings.SUBMIT_TIMEOUT_S, "submitting hello.py", "run again"
    )
    aml_url = run.get_portal_url()
    print(aml_url)


if __name__ == "__main__":
    main()
