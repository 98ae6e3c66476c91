"""Train on the cluster with CIFAR-10 mounted from the data asset instead of downloaded (tutorial part 4)."""

from aml import arguments, preflight, sdk, submission

from azure.ai.ml import Input
from azure.ai.ml.constants import AssetTypes, InputOutputModes


def cifar10_input():
    """The latest cifar10 data asset, mounted read-only where train.py runs (a folder holding the batch files)."""
    # the data uploaded by 05-upload-data.py
    return Input(type=AssetTypes.URI_FOLDER, path=f"azureml:{sdk.DATA_ASSET}@latest", mode=InputOutputModes.RO_MOUNT)


def main(argv=None):
    """Mount the latest cifar10 data asset, pass it as --data-path, and submit (or --dry-run)."""
    args = arguments.submission_arguments(__doc__, argv)
    if args.logs:  # submit nothing: show a run's error
        return submission.show_logs(args)
    workspace = preflight.check(compute=args.compute, upload=True, workspace=not args.dry_run)
    job = submission.training_job(args, data=cifar10_input())
    submission.submit(job, args, workspace)


if __name__ == "__main__":
    main()
