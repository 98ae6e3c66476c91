"""The device that trains: the one --device names, and timing the work queued on it."""

import time

import torch


def pick_device(name):
    """The torch device for --device: auto takes CUDA, then Apple's MPS, then the CPU; a missing one stops."""
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(), "cpu": True}
    if name == "auto":
        name = next(device for device in ("cuda", "mps", "cpu") if available[device])
    if not available[name]:
        raise SystemExit(
            f"error: --device {name} was asked for, but this machine has no {name.upper()} device "
            "that PyTorch can use. Fix: use --device auto (or cpu), or run where one is."
        )
    return torch.device(name)


def seconds_since(start, device):
    """Seconds from perf_counter() value `start` until the device has finished all the work queued on it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start
