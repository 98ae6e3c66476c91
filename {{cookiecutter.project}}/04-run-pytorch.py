"""Train src/train.py on the compute cluster in the environment of .azureml/pytorch-env.yml (tutorial step 4)."""

import aml_project

from azureml.core import Environment, ScriptRunConfig


def main(argv=None):
    """Submit training (flags after -- go to train.py), or with --dry-run show what would be submitted."""
    args = aml_project.submission_arguments(__doc__, argv)

    config = ScriptRunConfig(
        source_directory=str(aml_project.SOURCE_DIR),
        script="train.py",
        arguments=args.train_args,
        compute_target=args.compute,
        distributed_job_config=aml_project.distribution(args),
    )

    # set up pytorch environment
    env = Environment.from_conda_specification(name=aml_project.ENV_NAME, file_path=str(aml_project.ENV_FILE))
    config.run_config.environment = env

    aml_project.submit(config, args)


if __name__ == "__main__":
    main()
