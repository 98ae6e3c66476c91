"""Upload CIFAR-10 from data/ to the workspace as a data asset (tutorial part 4)."""

import argparse
from pathlib import Path

from aml import login, messages, preflight, sdk, settings

from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data


def main(argv=None):
    """Make the data asset cifar10 from data/cifar-10-batches-py, for 06-run-pytorch-data.py."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-path", default=str(settings.ROOT / "data"), help="the folder with CIFAR-10")
    parser.add_argument("--timeout", type=float, default=settings.TIMEOUT_S, help="seconds for login (default: 60)")
    args = parser.parse_args(argv)

    batches = Path(args.data_path) / "cifar-10-batches-py"
    if not (batches / "data_batch_1").is_file():
        messages.fail(
            f"no CIFAR-10 in {batches}",
            "download it once with python src/train.py --epochs 1, or put the extracted "
            f"cifar-10-batches-py folder into {args.data_path}",
        )
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
