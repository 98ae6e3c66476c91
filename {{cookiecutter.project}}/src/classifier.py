"""The trained classifier as predict.py and score.py use it: Net loaded from model.pt, a picture made into its input."""

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from model import Net

CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
IMAGE_SIZE = (32, 32)  # CIFAR-10's pictures, in pixels (width, height): the size Net takes
MODEL_FILE = "model.pt"  # what train.py saves: Net's state_dict
# PyTorch threads of a process that serves: one. The net is small, and a thread per core in each server worker
# makes requests wait on one another (on 2 busy cores, one picture took 16 ms with 2 threads, 0.13 ms with 1).
SERVING_THREADS = 1
MAX_PIXELS = 40_000_000  # a picture larger than this (about 40 megapixels) is refused before it is decoded


class ClassifierError(ValueError):
    """A model file or a picture that cannot be used, with the problem in a few words (no fix: the caller's)."""


class TooLarge(ClassifierError):
    """A picture of more pixels than MAX_PIXELS."""


def load_model(path, device="cpu"):
    """Net with the weights train.py saved at path, on device, ready to classify; ClassifierError when it cannot be."""
    path = Path(path)
    if not path.is_file():
        raise ClassifierError(f"there is no model file {path}")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception:  # torch raises several kinds for a file that holds no weights it can read
        raise ClassifierError(f"{path} cannot be read as a PyTorch model's weights") from None
    net = Net().to(device)
    problem = mismatch(state, net.state_dict())
    if problem:
        raise ClassifierError(f"{path} does not hold the weights of src/model.py's Net: {problem}")
    net.load_state_dict(state)
    return net.eval()


def find_model(folder, name):
    """The file `name` in folder or its folders, the shallowest first (a registered model on Azure ML nests its files
    in folders of its own); ClassifierError when folder is not one or holds none."""
    if not folder or not Path(folder).is_dir():
        raise ClassifierError(f"the model folder {folder or '(not set)'} is not a folder: it must hold {name}")
    found = sorted(Path(folder).rglob(name), key=lambda path: (len(path.parts), str(path)))
    if not found:
        raise ClassifierError(f"there is no {name} in {folder} or its folders")
    return found[0]


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


def read_image(source, name=None):
    """A picture (a file's path, or its bytes) as Net takes it: RGB, its middle square scaled to 32x32 as CIFAR-10's
    pictures, scaled to 0..1 as torchvision's ToTensor() does; ClassifierError when it is no picture Pillow reads."""
    name = name or str(source)
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
            if image.width * image.height > MAX_PIXELS:
                raise TooLarge(f"{name} is {image.width}x{image.height} pixels, over {MAX_PIXELS:,}")
            picture = ImageOps.fit(image.convert("RGB"), IMAGE_SIZE)
    except FileNotFoundError:
        raise ClassifierError(f"there is no image file {name}") from None
    except UnidentifiedImageError:
        raise ClassifierError(f"{name} is not an image in a format Pillow reads") from None
    except (OSError, ValueError, Image.DecompressionBombError) as err:  # a folder, a damaged or truncated file
        if isinstance(err, ClassifierError):
            raise
        why = getattr(err, "strerror", None) or str(err)
        raise ClassifierError(f"{name} cannot be read as an image ({why})") from None
    return to_tensor(picture)


def to_tensor(picture):
    """An RGB picture as a 3xHxW float tensor in 0..1, as torchvision's ToTensor() makes it (without torchvision)."""
    return torch.from_numpy(np.array(picture, dtype=np.uint8)).permute(2, 0, 1).float().div(255)


def ready_to_serve():
    """Set PyTorch up in this process for answering requests: SERVING_THREADS threads, no gradients."""
    torch.set_num_threads(SERVING_THREADS)
    torch.set_grad_enabled(False)


def probabilities(net, images, device="cpu"):
    """The softmax of Net's outputs for a batch of images (Nx3x32x32), on the CPU: one row of 10 per image."""
    with torch.no_grad():
        return torch.softmax(net(images.to(device)), dim=1).cpu()
