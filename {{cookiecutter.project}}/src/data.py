"""CIFAR-10 for training: torchvision's download into data/ or synthetic images in its format, batched on the device."""

import os
import pickle
import shutil
import socket
import tempfile
from pathlib import Path

import numpy as np
import torch
import torchvision
import torchvision.transforms as transforms

from classifier import CLASSES  # the names of CIFAR-10's labels, in order (train.py takes them from here)

DOWNLOAD_TIMEOUT_S = 60
BASE_FOLDER = torchvision.datasets.CIFAR10.base_folder  # cifar-10-batches-py


class SyntheticCIFAR10(torchvision.datasets.CIFAR10):
    """torchvision's CIFAR10 class reading synthetic files: the same format, without the real files' checksums."""

    train_list = [[name, None] for name, _ in torchvision.datasets.CIFAR10.train_list]
    test_list = [[name, None] for name, _ in torchvision.datasets.CIFAR10.test_list]
    meta = {**torchvision.datasets.CIFAR10.meta, "md5": None}


class FolderCIFAR10(torchvision.datasets.CIFAR10):
    """torchvision's CIFAR10 class reading the batch files in root itself, whatever its name (never downloading)."""

    base_folder = ""


def load_cifar10(data_path, synthetic=0):
    """Return CIFAR-10's (train, test) splits as the tutorial loads them, or `synthetic` made-up ones."""
    if synthetic:
        with tempfile.TemporaryDirectory(prefix="synthetic-cifar10-") as root:
            write_synthetic_cifar10(root, n_train=synthetic)
            return tuple(
                SyntheticCIFAR10(root=root, train=train, transform=transforms.ToTensor()) for train in (True, False)
            )
    if (Path(data_path) / "data_batch_1").is_file():  # the batch files themselves, such as a mounted data asset
        return tuple(read_cifar10_folder(data_path, train=train) for train in (True, False))
    if Path(data_path).name == BASE_FOLDER:  # an incomplete cifar-10-batches-py: download into the folder above
        data_path = Path(data_path).parent
    return tuple(download_cifar10(data_path, train=train) for train in (True, False))


def read_cifar10_folder(folder, train=True):
    """CIFAR-10 from a folder that holds its batch files (it may be read-only), checked against torchvision's sums."""
    try:
        return FolderCIFAR10(root=str(folder), train=train, download=False, transform=transforms.ToTensor())
    except (OSError, RuntimeError, pickle.UnpicklingError) as err:
        why = "a file is missing or differs from CIFAR-10's" if isinstance(err, RuntimeError) else str(err)
        raise SystemExit(
            f"error: {folder} holds CIFAR-10's batch files, but they are incomplete or damaged ({why}). "
            f"Fix: put the whole extracted {BASE_FOLDER} folder there again (05-upload-data.py uploads it from data/)."
        ) from None


class ResidentLoader:
    """DataLoader(dataset, batch_size, shuffle) for CIFAR-10 held as one uint8 tensor on the training device.

    With world_size > 1 it gives one rank's shard, as DistributedSampler(drop_last=True) does: every rank draws the
    same permutation each epoch from a generator seeded alike, then takes every world_size-th image from its rank on,
    the same number on each rank (so each takes the same number of steps).
    """

    def __init__(self, dataset, batch_size, device="cpu", shuffle=True, rank=0, world_size=1, generator=None):
        self.images = torch.from_numpy(dataset.data).to(device).permute(0, 3, 1, 2).contiguous()  # N, 3, 32, 32
        self.labels = torch.as_tensor(dataset.targets, device=device)
        self.batch_size, self.shuffle = batch_size, shuffle
        self.rank, self.world_size, self.generator = rank, world_size, generator
        self.per_rank = len(self.labels) // world_size  # the few left over go to no rank this epoch
        self.order, self._resumed = None, None

    def __len__(self):
        return -(-self.per_rank // self.batch_size)

    def shard(self, order):
        """This rank's part of an epoch's order of all images: disjoint from the other ranks' parts, and as long."""
        return order[self.rank : self.per_rank * self.world_size : self.world_size]

    def __iter__(self):
        """Each epoch: a fresh random order (or the resumed one, from its batch on), scaled as ToTensor() does."""
        n, first = len(self.labels), 0
        if self._resumed is not None:
            (self.order, first), self._resumed = self._resumed, None
        elif self.shuffle:
            self.order = torch.randperm(n, device=self.labels.device, generator=self.generator)
        elif self.world_size > 1:
            self.order = torch.arange(n, device=self.labels.device)
        indices = None if self.order is None else self.shard(self.order)
        for start in range(first * self.batch_size, self.per_rank, self.batch_size):
            index = (
                slice(start, start + self.batch_size) if indices is None else indices[start : start + self.batch_size]
            )
            yield self.images[index].float().div_(255), self.labels[index]

    def state_dict(self):
        """What resuming needs: this epoch's order and the generator's state (torch's own RNG is saved apart)."""
        return {
            "order": None if self.order is None else self.order.cpu(),
            "generator": None if self.generator is None else self.generator.get_state(),
        }

    def load_state_dict(self, state, next_batch=0):
        """Restore the generator; with next_batch > 0, the next epoch goes on in the saved order from that batch."""
        if self.generator is not None and state["generator"] is not None:
            self.generator.set_state(state["generator"])
        if next_batch:
            self._resumed = (state["order"].to(self.labels.device), next_batch)


def download_cifar10(data_path, train=True):
    """Download CIFAR-10 with torchvision into data_path (once), or stop with a clear message when that fails."""
    root = Path(data_path)
    archive = root / torchvision.datasets.CIFAR10.filename
    made_root, had_archive = not root.exists(), archive.exists()
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # no network wait without a bound
    try:
        return torchvision.datasets.CIFAR10(root=str(root), train=train, download=True, transform=transforms.ToTensor())
    except (OSError, RuntimeError) as err:
        if not had_archive and archive.exists():
            archive.unlink()  # leave no half-downloaded archive behind
        if made_root and root.is_dir() and not any(root.iterdir()):
            root.rmdir()
        raise SystemExit(
            f"error: could not download CIFAR-10 into {root}: {err}. Fix: connect to the internet and run again, "
            f"put the extracted {BASE_FOLDER} folder into {root}, "
            "or train offline on made-up images with --synthetic N."
        ) from None
    finally:
        socket.setdefaulttimeout(previous_timeout)


def write_synthetic_cifar10(root, n_train, n_test=None, seed=0):
    """Write n_train training and n_test test images as root/cifar-10-batches-py, in the real pickle format."""
    n_test = max(10, n_train // 5) if n_test is None else n_test
    folder = Path(root) / BASE_FOLDER
    partial = Path(root) / (BASE_FOLDER + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    train_files = [name for name, _ in torchvision.datasets.CIFAR10.train_list]
    for name, indices in zip(train_files, np.array_split(np.arange(n_train), len(train_files)), strict=True):
        _write_batch(partial / name, f"training batch {name[-1]} of 5", *synthetic_images(len(indices), rng))
    _write_batch(partial / "test_batch", "testing batch 1 of 1", *synthetic_images(n_test, rng))
    with open(partial / "batches.meta", "wb") as f:
        pickle.dump({"num_cases_per_batch": -(-n_train // 5), "label_names": list(CLASSES), "num_vis": 3072}, f)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(partial, folder)  # appears whole or not at all
    return folder


def synthetic_images(n, rng):
    """Make n 32x32 images as CIFAR-10 stores them (uint8 rows of 3072), each class in its own colours."""
    labels = rng.permutation(np.arange(n) % 10)
    palette = np.array(
        [
            [230, 25, 75],
            [60, 180, 75],
            [255, 225, 25],
            [0, 130, 200],
            [245, 130, 48],
            [145, 30, 180],
            [70, 240, 240],
            [240, 50, 230],
            [128, 128, 0],
            [0, 0, 128],
        ],
        dtype=np.float32,
    )
    rows = np.arange(32, dtype=np.float32)[:, None]
    stripes = np.stack([np.sin(rows * (c + 1) * np.pi / 16) * np.ones((1, 32), np.float32) for c in range(10)])
    images = 0.6 * palette[labels][:, :, None, None] + 60 * stripes[labels][:, None] + 60
    images += rng.normal(0, 25, size=images.shape)
    data = np.clip(images, 0, 255).astype(np.uint8).reshape(n, 3072)
    return data, [int(label) for label in labels]


def _write_batch(path, batch_label, data, labels):
    batch = {
        "batch_label": batch_label,
        "labels": labels,
        "data": data,
        "filenames": [f"synthetic_{i:05d}.png" for i in range(len(labels))],
    }
    with open(path, "wb") as f:
        pickle.dump(batch, f)
