"""Run src/hello.py on the compute cluster (tutorial step 3)."""

import argparse

import aml_project

from azureml.core import Experiment, ScriptRunConfig


def main(argv=None):
    """Submit hello.py and print the link to the run in Azure ML Studio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compute", default=aml_project.COMPUTE_NAME)
    parser.add_argument("--timeout", type=float, default=aml_project.TIMEOUT_S, help="seconds for login (default: 60)")
    args = parser.parse_args(argv)

    aml_project.preflight(compute=args.compute)
    ws = aml_project.load_workspace(args.timeout)
    experiment = Experiment(workspace=ws, name=aml_project.HELLO_EXPERIMENT)

    config = ScriptRunConfig(
        source_directory=str(aml_project.SOURCE_DIR), script="hello.py", compute_target=args.compute
    )

    run = aml_project.bounded(
        lambda: experiment.submit(config), aml_project.SUBMIT_TIMEOUT_S, "submitting hello.py", "run again"
    )
    aml_url = run.get_portal_url()
    print(aml_url)


if __name__ == "__main__":
    main()
