"""What a run leaves and shows: model.pt, metrics.json and loss.png in the output folder, and the progress bar."""

import json
import sys
from pathlib import Path

import torch

from distributed import unwrap


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
    torch.save(unwrap(net).state_dict(), output_dir / "model.pt")
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
