"""What a run leaves and shows: model.pt, metrics.json and loss.png in the output folder, and the progress bar."""

import json
import os
import sys
from pathlib import Path

import torch

from classifier import MODEL_FILE  # the trained weights (Net's state_dict), which predict.py and score.py read
from distributed import unwrap

PREVIOUS_MODEL_FILE = "model.previous.pt"  # the model of the run before, kept when a new run saves its own


def progress(iterable, **options):
    """A tqdm progress bar over iterable on a terminal; the plain iterable in logs, pipes and without tqdm."""
    if not sys.stdout.isatty():
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        missing("tqdm", "no progress bar")
        return iterable
    return printed_above(tqdm(iterable, leave=False, dynamic_ncols=True, **options))


def printed_above(bar):
    """Iterate a tqdm bar with what is printed meanwhile (the loss lines, SDK v1's offline run.log) written above it,
    a whole line at a time (tqdm.write), not into the bar's line."""
    stdout = sys.stdout
    sys.stdout = AboveTheBar(stdout)
    try:
        yield from bar
    finally:
        sys.stdout.flush()
        sys.stdout = stdout
        bar.close()


class AboveTheBar:
    """A stand-in for sys.stdout while a bar is shown: each complete line goes above the bar."""

    def __init__(self, stream):
        self.stream, self.pending = stream, ""

    def write(self, text):
        from tqdm import tqdm

        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            tqdm.write(line, file=self.stream)
        return len(text)

    def flush(self):
        if self.pending:
            self.stream.write(self.pending)
            self.pending = ""
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


def missing(package, loss):
    """Say once, in one line, that an optional package is not installed, what that costs, and how to install it."""
    if package not in _said:
        _said.add(package)
        print(f"{package} is not installed: {loss} (install it: pip install {package})")


_said = set()


def save_outputs(output_dir, net, metrics):
    """Save the model's state_dict (model.pt) and the metrics (metrics.json), then a plot of the loss (loss.png) when
    matplotlib is there; return the paths saved, and last the earlier run's model.pt, kept as model.previous.pt."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    model, kept = output_dir / MODEL_FILE, []
    if model.is_file():  # an earlier run's model: kept, one generation back
        kept = [model.with_name(PREVIOUS_MODEL_FILE)]
        os.replace(model, kept[0])
    torch.save(unwrap(net).state_dict(), model)
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    saved = [output_dir / MODEL_FILE, output_dir / "metrics.json"]
    if plot_loss(metrics, output_dir / "loss.png"):
        saved.append(output_dir / "loss.png")
    return saved + kept  # the earlier model last


def plot_loss(metrics, path):
    """Plot the losses (test accuracy as title) beside each class's test accuracy; False without matplotlib."""
    plt = pyplot(path)
    if plt is None:
        return False
    figure, (axes, classes) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=(3, 2))
    steps = [metrics["log_interval"] * (i + 1) for i in range(len(metrics["losses"]))]
    axes.plot(steps, metrics["losses"], marker="o" if len(steps) < 50 else None, label="training loss")
    axes.set_xlabel("mini-batches")
    axes.set_ylabel("loss")
    axes.set_title(f"test accuracy {100 * metrics['accuracy']:.1f}%")
    axes.legend()
    names, values = zip(*metrics["class_accuracy"].items(), strict=True)
    classes.bar(names, [100 * value for value in values], color="tab:green")
    classes.axhline(100 * metrics["accuracy"], color="grey", linestyle="--")
    classes.set_ylim(0, 100)
    classes.set_ylabel("test accuracy (%)")
    classes.set_title("test accuracy per class (dashes: all classes)")
    classes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def pyplot(path):
    """matplotlib.pyplot, drawing without a screen; None (and one line, saying there is no path) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no screen needed, locally or on Azure ML
        import matplotlib.pyplot as plt
    except ImportError:
        missing("matplotlib", f"no {path.name}")
        return None
    return plt


def summary(metrics, saved, synthetic, show_metrics=None):
    """The lines after the tutorial's accuracy line: what the accuracy means, where each file went, how to look."""
    lines = []
    if synthetic:
        lines.append("(synthetic images: chance is 10%, so this accuracy says only that training ran)")
    elif metrics["test_images"] < 1000:
        lines.append(f"(only {metrics['test_images']} test images: a rough figure; CIFAR-10's test set has 10,000)")
    kept = [path for path in saved if path.name == PREVIOUS_MODEL_FILE]
    saved = [path for path in saved if path.name != PREVIOUS_MODEL_FILE]
    lines.append("Saved: " + ", ".join(shown(path) for path in saved))
    plot = [shown(path) for path in saved if path.suffix == ".png"]
    numbers = shown(saved[1])
    lines.append(f"See the plot: open {plot[0]} (the numbers: {numbers})" if plot else f"See the numbers: {numbers}")
    if show_metrics:
        lines.append(show_metrics)
    if kept:
        lines.append(f"Kept the previous run's model as {shown(kept[0])}")
    return "\n".join(lines)


def shown(path):
    """path as typed here: relative to the working directory when inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)
