"""Where a training run executes: device, data and outputs folders locally and on Azure ML, flag types, a stand-in Run."""
import argparse
import json
import sys
import time
from pathlib import Path

import torch

SRC_DIR = Path(__file__).resolve().parent


def run_root():
    """The folder that holds data/: the project root locally (whether started there or in src/), else the working directory, as on Azure ML."""
    project = SRC_DIR.parent
    if (project / ".azureml" / "pytorch-env.yml").is_file():
        return project
    return Path.cwd()


def default_data_path():
    """Where CIFAR-10 goes when --data-path is not given: data/ beside src/, never inside the uploaded snapshot."""
    return str(run_root() / "data")


def default_output_dir():
    """Where the model, metrics and plot go: outputs/ beside src/ locally, ./outputs on Azure ML (uploaded with the run)."""
    return str(run_root() / "outputs")


def pick_device(name):
    """The torch device for --device: auto takes CUDA, then Apple's MPS, then the CPU; an absent one stops with the fix."""
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(), "cpu": True}
    if name == "auto":
        name = next(device for device in ("cuda", "mps", "cpu") if available[device])
    if not available[name]:
        raise SystemExit(f"error: --device {name} was asked for, but this machine has no {name.upper()} device "
                         "that PyTorch can use. Fix: use --device auto (or cpu), or run where one is.")
    return torch.device(name)


def seconds_since(start, device):
    """Seconds from perf_counter() value `start` until the device has finished all the work queued on it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def progress(iterable, **options):
    """A tqdm progress bar over iterable when stdout is a terminal; the plain iterable in logs and pipes."""
    if not sys.stdout.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, leave=False, dynamic_ncols=True, **options)


def save_outputs(output_dir, net, metrics):
    """Save the model's state_dict (model.pt), the metrics (metrics.json) and a plot of loss and accuracy (loss.png)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen needed, locally or on Azure ML
    import matplotlib.pyplot as plt

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), output_dir / "model.pt")
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    figure, axes = plt.subplots(figsize=(7, 4))
    steps = [metrics["log_interval"] * (i + 1) for i in range(len(metrics["losses"]))]
    axes.plot(steps, metrics["losses"], marker="o" if len(steps) < 50 else None, label="training loss")
    axes.set_xlabel("mini-batches")
    axes.set_ylabel("loss")
    axes.set_title(f"test accuracy {100 * metrics['accuracy']:.1f}%")
    axes.legend()
    figure.tight_layout()
    figure.savefig(output_dir / "loss.png", dpi=100)
    plt.close(figure)


def positive_int(text):
    """Argparse type for a whole number of at least 1."""
    return _number(text, int, lambda v: v >= 1, "a whole number of at least 1")


def non_negative_int(text):
    """Argparse type for a whole number of at least 0."""
    return _number(text, int, lambda v: v >= 0, "a whole number of at least 0")


def positive_float(text):
    """Argparse type for a number above 0."""
    return _number(text, float, lambda v: v > 0, "a number above 0")


def unit_float(text):
    """Argparse type for a number from 0 up to (not including) 1."""
    return _number(text, float, lambda v: 0 <= v < 1, "a number from 0 up to 1 (not 1)")


def _number(text, kind, ok, rule):
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not {rule}")
    return value


class StdoutRun:
    """Stand-in for azureml.core.Run when azureml-core is not installed: metrics are printed, nothing is sent."""

    announced = False

    @classmethod
    def get_context(cls):
        """Return a stand-in run, saying once that metrics go to stdout only."""
        if not cls.announced:
            print("azureml-core is not installed: metrics go to stdout only "
                  "(install the environment in .azureml/pytorch-env.yml to log them to Azure ML)")
            cls.announced = True
        return cls()

    def log(self, name, value, description=""):
        """Print a metric the way the offline azureml Run does."""
        print(f"metric {name}: {value}")
