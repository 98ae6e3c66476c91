"""Train on the cluster with CIFAR-10 mounted from the datastore instead of downloaded (tutorial part 4)."""

import aml_project

from azureml.core import Environment, ScriptRunConfig


def main(argv=None):
    """Mount datasets/cifar10 from the default datastore, pass it as --data-path, and submit (or --dry-run)."""
    args = aml_project.submission_arguments(__doc__, argv)
    aml_project.preflight(compute=args.compute, needs_workspace=not args.dry_run)
    ws = None if args.dry_run else aml_project.load_workspace(args.timeout)

    # the data uploaded by 05-upload-data.py, mounted where train.py runs
    datastore = aml_project.default_datastore(ws, args.timeout)
    data = datastore.path(aml_project.DATASTORE_PATH, data_reference_name="cifar10").as_mount()

    config = ScriptRunConfig(
        source_directory=str(aml_project.SOURCE_DIR),
        script="train.py",
        arguments=["--data-path", str(data), *args.train_args],
        compute_target=args.compute,
        distributed_job_config=aml_project.distribution(args),
    )
    config.run_config.data_references = {data.data_reference_name: data.to_config()}

    # set up pytorch environment
    env = Environment.from_conda_specification(name=aml_project.ENV_NAME, file_path=str(aml_project.ENV_FILE))
    config.run_config.environment = env

    aml_project.submit(config, args, ws=ws, checked=True)


if __name__ == "__main__":
    main()
