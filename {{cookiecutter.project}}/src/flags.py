"""train.py's command-line flags (predict.py shares --synthetic and --device) and the types that check their values."""

import argparse
import os
import sys
from pathlib import Path

from paths import default_data_path, default_output_dir

DESCRIPTION = "Train the tutorial's CNN on CIFAR-10 and log its loss (alone, or as one of several processes)."
DEVICES = ("auto", "cpu", "cuda", "mps")  # what --device takes, in train.py and predict.py


def parse_args(argv=None):
    """Read the training flags; the defaults are the tutorial's. args.flags keeps them as given, to resume with."""
    args = build_parser().parse_args(argv)
    args.flags = [flag for flag in (sys.argv[1:] if argv is None else argv) if flag != "--resume"]
    args.data_path = args.data_path or default_data_path()
    args.output_dir = args.output_dir or default_output_dir()
    args.checkpoint_dir = args.checkpoint_dir or args.output_dir
    if not args.synthetic:
        check_data_path(args.data_path)
    for flag in {"--output-dir": args.output_dir, "--checkpoint-dir": args.checkpoint_dir}.items():
        check_writable_folder(*flag)
    return args


def build_parser():
    """train.py's parser (it needs nothing installed: 04 and 06 check the flags they pass on with it)."""
    parser = argparse.ArgumentParser(prog="train.py", description=DESCRIPTION)
    parser.add_argument("--epochs", type=positive_int, default=2, help="passes over the data (default: 2)")
    parser.add_argument("--batch-size", type=positive_int, default=4, help="images per mini-batch (default: 4)")
    parser.add_argument("--lr", type=positive_float, default=0.001, help="SGD learning rate (default: 0.001)")
    parser.add_argument("--momentum", type=unit_float, default=0.9, help="SGD momentum (default: 0.9)")
    parser.add_argument(
        "--log-interval", type=positive_int, default=2000, help="log the mean loss every N mini-batches (default: 2000)"
    )
    parser.add_argument(
        "--data-path", default=None, help="folder for CIFAR-10 (default: data/ in the project root; ./data on Azure ML)"
    )
    add_synthetic(parser, "train on N made-up images in CIFAR-10's format instead (no download)")
    add_device(parser, "train")
    parser.add_argument(
        "--threads",
        type=non_negative_int,
        default=0,
        help="CPU threads for PyTorch; 0 keeps its choice, one per core (default: 0)",
    )
    parser.add_argument(
        "--output-dir",
        default=None,
        help="where model.pt, metrics.json and loss.png go (default: outputs/ in the project root)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
    parser.add_argument(
        "--checkpoint-dir",
        default=None,
        metavar="DIR",
        help="where checkpoint.pt goes (default: the output folder); 04 and 06 give a datastore folder "
        "that outlives the node, for a restarted job to resume from",
    )
    parser.add_argument(
        "--checkpoint-every",
        type=non_negative_int,
        default=0,
        metavar="K",
        help="also save checkpoint.pt every K steps, not only after each epoch; 0: off (default: 0)",
    )
    parser.add_argument(
        "--resume-from",
        default=None,
        metavar="DIR",
        help="start from the checkpoint in DIR, an earlier run's folder (only read), when --checkpoint-dir has none; "
        "04 and 06 --resume-from RUN_ID give that run's datastore folder",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on with an interrupted run from its checkpoint.pt, given that run's flags "
        "(an Azure ML job always does: a restart goes on from --checkpoint-dir)",
    )
    return parser


def check_data_path(path):
    """Stop before training when --data-path is a file: it is the folder CIFAR-10 is read from or downloaded into."""
    if Path(path).exists() and not Path(path).is_dir():
        raise SystemExit(
            f"error: --data-path {path} is a file, not a folder for CIFAR-10. Fix: give a folder (CIFAR-10 is "
            "downloaded into it, or read from its cifar-10-batches-py), such as data/, or leave the flag out"
        )


def check_writable_folder(flag, path):
    """Stop before training when the folder `flag` names is a file, or cannot be made or written to; nothing is
    made here (training makes it when it saves)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise SystemExit(f"error: {flag} {path} is a file, not a folder. Fix: give a folder, such as outputs/")
    there = next(folder for folder in (path, *path.parents) if folder.exists())  # the folder, or where it would go
    why = f"{there} is a file" if not there.is_dir() else f"{there} is not writable"
    if not there.is_dir() or not os.access(there, os.W_OK | os.X_OK):
        raise SystemExit(f"error: {flag} {path} cannot be written to ({why}). Fix: give a folder you can write to")


def add_synthetic(parser, help):
    """Add --synthetic N: made-up images in CIFAR-10's format (default 0: the real ones); help says what for."""
    parser.add_argument("--synthetic", type=non_negative_int, default=0, metavar="N", help=help)


def add_device(parser, verb):
    """Add --device (default auto), saying where to `verb` (train, classify)."""
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help=f"where to {verb}: auto takes CUDA, then MPS, then the CPU (default: auto)",
    )


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
    """text as a `kind` that passes ok, or argparse's error that it is not `rule`."""
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not {rule}")
    return value
