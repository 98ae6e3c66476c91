"""Train src/train.py on the compute cluster in the environment of .azureml/pytorch-env.yml (tutorial step 4)."""
import argparse

import aml_project
from azureml.core import Environment, Experiment, ScriptRunConfig


def main(argv=None):
    """Submit training (flags after -- go to train.py), or with --dry-run show what would be submitted."""
    parser = argparse.ArgumentParser(description=__doc__, epilog="example: python 04-run-pytorch.py -- --epochs 10")
    parser.add_argument("--dry-run", action="store_true", help="build the run offline, print it, submit nothing")
    parser.add_argument("train_args", nargs="*", help="flags for train.py, after --")
    args = parser.parse_args(argv)

    config = ScriptRunConfig(source_directory=str(aml_project.SOURCE_DIR),
                             script="train.py",
                             arguments=args.train_args,
                             compute_target=aml_project.COMPUTE_NAME)

    # set up pytorch environment
    env = Environment.from_conda_specification(name=aml_project.ENV_NAME, file_path=str(aml_project.ENV_FILE))
    config.run_config.environment = env

    if args.dry_run:
        print("Dry run: nothing is submitted.")
        aml_project.describe_submission(config, aml_project.EXPERIMENT)
        return

    ws = aml_project.load_workspace()
    experiment = Experiment(workspace=ws, name=aml_project.EXPERIMENT)
    run = experiment.submit(config)

    aml_url = run.get_portal_url()
    print(aml_url)


if __name__ == "__main__":
    main()
