"""Classify image files, or a sample of CIFAR-10's test set drawn as a grid, with the model that train.py saved."""

import argparse
import math
from pathlib import Path

import installed  # noqa: F401  (first: without PyTorch, one line names the install step)

# isort: split
import torch

import classifier
from classifier import CLASSES
from data import ResidentLoader, load_cifar10
from device import pick_device
from flags import add_device, add_synthetic, positive_int
from outputs import MODEL_FILE, pyplot, shown
from paths import default_data_path, default_output_dir, train_script

GRID_FILE = "predictions.png"
CELL_INCHES = (2.0, 2.3)  # each picture of the grid with its title (width, height), at 100 dots per inch
DPI = 100


def parse_args(argv=None):
    """Read predict.py's flags: the images (none: a sample of the test set), the model, how many classes to show."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="image files of any size and format Pillow reads (none: classify a sample of the test set, as a grid)",
    )
    parser.add_argument(
        "--model", default=None, metavar="PATH", help="the weights train.py saved (default: outputs/model.pt)"
    )
    parser.add_argument(
        "--top", type=positive_int, default=1, metavar="K", help="show the K likeliest classes of each (default: 1)"
    )
    parser.add_argument(
        "--count", type=positive_int, default=16, metavar="N", help="test images in the grid (default: 16, 4x4)"
    )
    parser.add_argument(
        "--data-path", default=None, help="folder for CIFAR-10's test set (default: data/ in the project root)"
    )
    add_synthetic(parser, "classify the made-up test images that train.py --synthetic N makes instead (no download)")
    parser.add_argument(
        "--output-dir", default=None, help=f"where {GRID_FILE} goes (default: outputs/ in the project root)"
    )
    add_device(parser, "classify")
    args = parser.parse_args(argv)
    args.model = args.model or str(Path(default_output_dir()) / MODEL_FILE)
    args.data_path = args.data_path or default_data_path()
    args.output_dir = args.output_dir or default_output_dir()
    args.top = min(args.top, len(CLASSES))
    return args


def predict(args):
    """Classify args.images, or a sample of the test set (drawn as a grid); print and return a result for each."""
    device = pick_device(args.device)
    net = load_model(args.model, device)
    if args.images:  # every file is read before a line is printed: a bad one stops with nothing half-done
        images, labels, names = torch.stack([read_image(path) for path in args.images]), None, args.images
    else:
        images, labels = sample_of_test_set(args, device)
        names = [f"test image {i}" for i in range(len(labels))]
    probabilities = classifier.probabilities(net, images, device)
    results = []
    for i, (name, row) in enumerate(zip(names, probabilities, strict=True)):
        top = row.topk(args.top)
        label = None if labels is None else CLASSES[labels[i]]
        results.append(
            {
                "image": name,
                "top": [(CLASSES[c], p) for c, p in zip(top.indices.tolist(), top.values.tolist(), strict=True)],
                "probabilities": dict(zip(CLASSES, row.tolist(), strict=True)),
                "label": label,
                "right": None if label is None else CLASSES[top.indices[0]] == label,
            }
        )
        print(result_line(results[-1]))
    if labels is not None:
        report_sample(images, results, Path(args.output_dir) / GRID_FILE)
    return results


def result_line(result):
    """One image's line: its name, then each class shown with its probability (then, for a test image, the truth)."""
    line = f"{result['image']}: " + ", ".join(f"{name} {100 * p:.1f}%" for name, p in result["top"])
    if result["label"] is None:
        return line
    return line + (" (right)" if result["right"] else f" (wrong: it is a {result['label']})")


def report_sample(images, results, grid):
    """Print how many of the test images were classified right, and draw them as a grid (when matplotlib is there)."""
    right = sum(result["right"] for result in results)
    print(f"{right} of the {len(results)} test images classified right ({100 * right / len(results):.1f}%)")
    if draw_grid(images, results, grid):
        print(f"See the grid: open {shown(grid)} (each picture's predicted and true class; wrong ones in red)")


def load_model(path, device):
    """Net with the weights train.py saved at path, on device, ready to classify; a missing or foreign file stops."""
    train = f"python {train_script()}"  # as typed from here: the project root, src/ or elsewhere
    try:
        return classifier.load_model(path, device)
    except classifier.ClassifierError as err:
        raise SystemExit(
            f"error: {err}. Fix: train one ({train}; offline, in seconds: {train} --synthetic 2000 --log-interval 100)"
            ", or name another with --model PATH (07-download-model.py brings a run's model home as "
            "outputs/<run id>/model.pt)."
        ) from None


def read_image(path):
    """An image file as Net takes it (classifier.read_image); a missing or unreadable file stops with one line."""
    try:
        return classifier.read_image(path)
    except classifier.ClassifierError as err:
        raise SystemExit(
            f"error: {err}. Fix: give an image file (PNG, JPEG or any other format Pillow reads), of any size."
        ) from None


def sample_of_test_set(args, device):
    """The first args.count images of the test set (as the tutorial shows its first 4), with their labels."""
    _, testset = load_cifar10(args.data_path, synthetic=args.synthetic)
    loader = ResidentLoader(testset, batch_size=args.count, device=device, shuffle=False)
    images, labels = next(iter(loader))  # scaled as in training, ToTensor()'s
    return images, labels.tolist()


def draw_grid(images, results, path):
    """Draw the images in a grid, titled with predicted and true class (wrong ones red); False without matplotlib."""
    plt = pyplot(path)
    if plt is None:
        return False
    columns = math.ceil(math.sqrt(len(results)))
    rows = math.ceil(len(results) / columns)
    size = (CELL_INCHES[0] * columns, CELL_INCHES[1] * rows)
    figure, axes = plt.subplots(rows, columns, figsize=size, squeeze=False)
    for cell in axes.flat:
        cell.axis("off")
    for cell, image, result in zip(axes.flat, images, results, strict=False):
        guess, probability = result["top"][0]
        cell.imshow(image.permute(1, 2, 0).cpu().numpy(), interpolation="nearest")
        mark = "\N{CHECK MARK}" if result["right"] else "\N{BALLOT X}"
        title = f"{mark} {guess} {100 * probability:.0f}%\ntrue: {result['label']}"
        cell.set_title(title, color="black" if result["right"] else "red", fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return True


def main(argv=None):
    """Classify from the command line: a line for each image, a one-line error for a bad file."""
    predict(parse_args(argv))


if __name__ == "__main__":
    main()
