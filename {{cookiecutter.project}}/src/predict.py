"""Classify image files, or a sample of CIFAR-10's test set drawn as a grid, with the model that train.py saved."""

import argparse
import math
from pathlib import Path

import installed  # noqa: F401  (first: without PyTorch, one line names the install step)

# isort: split
import torch
import torchvision.transforms as transforms
from PIL import Image, ImageOps, UnidentifiedImageError

from data import CLASSES, IMAGE_SIZE, ResidentLoader, load_cifar10
from device import pick_device
from flags import add_device, add_synthetic, positive_int
from model import Net
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
    with torch.no_grad():
        probabilities = torch.softmax(net(images.to(device)), dim=1).cpu()
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
    path = Path(path)
    train = f"python {train_script()}"  # as typed from here: the project root, src/ or elsewhere
    fix = (
        f"Fix: train one ({train}; offline, in seconds: {train} --synthetic 2000 --log-interval 100), or name "
        "another with --model PATH (07-download-model.py brings a run's model home as outputs/<run id>/model.pt)."
    )
    if not path.is_file():
        raise SystemExit(f"error: there is no model file {path}. {fix}")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception:  # torch raises several kinds for a file that holds no weights it can read
        raise SystemExit(f"error: {path} cannot be read as a PyTorch model's weights. {fix}") from None
    net = Net().to(device)
    problem = mismatch(state, net.state_dict())
    if problem:
        raise SystemExit(f"error: {path} does not hold the weights of src/model.py's Net: {problem}. {fix}")
    net.load_state_dict(state)
    return net.eval()


def mismatch(state, expected):
    """Why the weights in state do not fit a network whose state_dict is expected, in a few words; None if they do."""
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        return "it is not a state_dict (a dict of tensors)"
    absent = [key for key in expected if key not in state]
    if absent:
        return f"it lacks {absent[0]}" + (f" and {len(absent) - 1} more of Net's tensors" if len(absent) > 1 else "")
    extra = [key for key in state if key not in expected]
    if extra:
        return f"it has {extra[0]}, which Net has not"
    for key, value in expected.items():
        if state[key].shape != value.shape:
            return f"its {key} is {shape(state[key])}, Net's is {shape(value)}"
    return None


def shape(tensor):
    """A tensor's shape as 6x3x5x5."""
    return "x".join(str(size) for size in tensor.shape) or "a scalar"


def read_image(path):
    """An image file as Net takes it: RGB, its middle square scaled to 32x32 as CIFAR-10's pictures, ToTensor()'s."""
    fix = "Fix: give an image file (PNG, JPEG or any other format Pillow reads), of any size."
    try:
        with Image.open(path) as image:
            picture = ImageOps.fit(image.convert("RGB"), IMAGE_SIZE)
    except FileNotFoundError:
        raise SystemExit(f"error: there is no image file {path}. {fix}") from None
    except UnidentifiedImageError:
        raise SystemExit(f"error: {path} is not an image in a format Pillow reads. {fix}") from None
    except (OSError, ValueError, Image.DecompressionBombError) as err:  # a folder, a damaged or truncated file
        why = getattr(err, "strerror", None) or str(err)
        raise SystemExit(f"error: {path} cannot be read as an image ({why}). {fix}") from None
    return transforms.ToTensor()(picture)


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
