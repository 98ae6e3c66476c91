{%- if cookiecutter.sdk == "v1" -%}
"""Upload CIFAR-10 from data/ to the workspace's default datastore (tutorial part 4)."""
{%- else -%}
"""Upload CIFAR-10 from data/ to the workspace as a data asset (tutorial part 4)."""
{%- endif %}

import argparse
from pathlib import Path

import aml_project
{%- if cookiecutter.sdk == "v1" %}


def main(argv=None):
    """Copy data/cifar-10-batches-py to datasets/cifar10 on the default datastore, for 06-run-pytorch-data.py."""
{%- else %}

from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data


def main(argv=None):
    """Make the data asset cifar10 from data/cifar-10-batches-py, for 06-run-pytorch-data.py."""
{%- endif %}
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-path", default=str(aml_project.ROOT / "data"), help="the folder with CIFAR-10")
    parser.add_argument("--timeout", type=float, default=aml_project.TIMEOUT_S, help="seconds for login (default: 60)")
    args = parser.parse_args(argv)

    batches = Path(args.data_path) / "cifar-10-batches-py"
    if not (batches / "data_batch_1").is_file():
        aml_project.fail(
            f"no CIFAR-10 in {batches}",
            "download it once with python src/train.py --epochs 1, or put the extracted "
            f"cifar-10-batches-py folder into {args.data_path}",
        )
    aml_project.read_config()
{%- if cookiecutter.sdk == "v1" %}
    ws = aml_project.load_workspace(args.timeout)
    datastore = aml_project.default_datastore(ws, args.timeout)
    target = f"{aml_project.DATASTORE_PATH}/cifar-10-batches-py"
    aml_project.bounded(
        lambda: datastore.upload(src_dir=str(batches), target_path=target, overwrite=True, show_progress=True),
        aml_project.UPLOAD_TIMEOUT_S,
        f"uploading {batches}",
        "run again",
{%- else %}
    ml_client = aml_project.ml_client(args.timeout)
    data = Data(
        name=aml_project.DATA_ASSET,
        path=str(batches),
        type=AssetTypes.URI_FOLDER,
        description="CIFAR-10, python version (cifar-10-batches-py)",
{%- endif %}
    )
{%- if cookiecutter.sdk == "v1" %}
    print(f"Uploaded to {datastore.name}/{target}; train on it with python 06-run-pytorch-data.py")
{%- else %}
    asset = aml_project.bounded(
        lambda: ml_client.data.create_or_update(data), aml_project.UPLOAD_TIMEOUT_S, f"uploading {batches}", "run again"
    )
    print(f"Uploaded as data asset {asset.name}:{asset.version}; train on it with python 06-run-pytorch-data.py")
{%- endif %}


if __name__ == "__main__":
    main()
