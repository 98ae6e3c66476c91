"""Upload CIFAR-10 from data/ to the workspace as a data asset (tutorial part 4)."""

from aml import arguments, login, messages, preflight, sdk, settings

from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data


def main(argv=None):
    """Make the data asset cifar10 from data/cifar-10-batches-py, for 06-run-pytorch-data.py."""
    args = arguments.upload_arguments(__doc__, argv)
    batches = args.batches
    workspace = preflight.check()
    ml_client = login.connect(workspace, args.timeout)
    data = Data(
        name=sdk.DATA_ASSET,
        path=str(batches),
        type=AssetTypes.URI_FOLDER,
        description="CIFAR-10, python version (cifar-10-batches-py)",
    )
    asset = messages.bounded(
        lambda: ml_client.data.create_or_update(data), settings.UPLOAD_TIMEOUT_S, f"uploading {batches}", "run again"
    )
    print(f"Uploaded as data asset {asset.name}:{asset.version}; train on it with python 06-run-pytorch-data.py")


if __name__ == "__main__":
    main()
