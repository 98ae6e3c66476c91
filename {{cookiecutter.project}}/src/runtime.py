"""Where a training run executes: its data folder locally and on Azure ML, flag types, and a stand-in Run."""
import argparse
from pathlib import Path

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
