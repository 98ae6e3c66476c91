"""Where a training run executes: device, data and outputs folders locally and on Azure ML, the processes of a
{%- if cookiecutter.sdk == "v1" %}
distributed run, checkpoints to resume from, flag types, a stand-in Run."""
{%- else %}
distributed run, checkpoints to resume from, flag types, where MLflow's metrics go, a stand-in for MLflow."""
{%- endif %}

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.distributed as dist

SRC_DIR = Path(__file__).resolve().parent
{%- if cookiecutter.sdk == "v2" %}
# the MLflow experiment of runs outside Azure ML jobs
EXPERIMENT = "{{ cookiecutter.experiment_name }}"  # noqa: E501 (a long answer)
LOCAL_STORE = "mlruns.db"  # MLflow's store of local runs, in the project root

# MLflow starts a thread that sends usage data when it is imported, unless told not to. train.py imports this module
# first, so training talks to its tracking store alone (set MLFLOW_DISABLE_TELEMETRY=false to allow the usage data).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
{%- endif %}


def run_root():
    """The folder that holds data/: the project root locally (started there or in src/), else the working directory."""
    project = SRC_DIR.parent
    if (project / ".azureml" / "pytorch-env.yml").is_file():
        return project
    return Path.cwd()


def default_data_path():
    """Where CIFAR-10 goes when --data-path is not given: data/ beside src/, never inside the uploaded snapshot."""
    return str(run_root() / "data")


def default_output_dir():
    """Where the model, metrics and plot go: outputs/ beside src/ locally, ./outputs on Azure ML (kept with the run)."""
    return str(run_root() / "outputs")


{%- if cookiecutter.sdk == "v2" %}


def start_tracking(mlflow):
    """Start the MLflow run train.py logs to: the job's own on Azure ML, else one in the project root's mlruns.db."""
    if mlflow is StdoutMlflow:
        return mlflow.start_run()  # MLflow is not installed: the stand-in says so, once
    local = not os.environ.get("MLFLOW_TRACKING_URI")  # Azure ML sets it in a job, and MLFLOW_RUN_ID with it
    if local:
        store = run_root() / LOCAL_STORE
        mlflow.set_tracking_uri(f"sqlite:///{store.as_posix()}")
    if not os.environ.get("MLFLOW_RUN_ID"):  # in a job, start_run() takes up the job's run, in the job's experiment
        mlflow.set_experiment(EXPERIMENT)
    if mlflow.active_run():  # left by an earlier train() in this process that stopped with an error
        mlflow.end_run("FAILED")
    run = mlflow.start_run()
    if local:
        print(
            f"MLflow logs this run's metrics to {store} (experiment {EXPERIMENT}).\n"
            'See them: VS Code task "Show metrics locally", '
            f"or run in {store.parent}: mlflow ui --backend-store-uri sqlite:///{LOCAL_STORE}"
        )
    return run
{%- endif %}


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


def start_distributed(device):
    """Join the process group when torchrun or Azure ML started WORLD_SIZE > 1 processes; return this one's device."""
    world_size, local_rank = int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))
    if world_size == 1:
        return device  # a single process: the plain tutorial, no process group
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)  # one GPU per process on each machine
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise SystemExit(
            f"error: distributed training runs on CUDA or the CPU, not {device.type.upper()}. "
            "Fix: use --device cpu, or start a single process."
        )
    # RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT come from the environment (env://)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def stop_distributed():
    """Leave the process group, if this process joined one."""
    if is_distributed():
        dist.destroy_process_group()


def is_distributed():
    """Whether this process is one of several in a process group."""
    return dist.is_available() and dist.is_initialized()


def rank():
    """This process's rank: 0 for the only one, or the first of several."""
    return dist.get_rank() if is_distributed() else 0


def world_size():
    """How many processes train together: 1 unless distributed."""
    return dist.get_world_size() if is_distributed() else 1


def is_main():
    """Whether this process logs, prints and saves: rank 0, or the only process."""
    return rank() == 0


@contextmanager
def local_main_first():
    """Run the block on each machine's first process before its others, so data is downloaded once per machine."""
    first = int(os.environ.get("LOCAL_RANK", 0)) == 0
    if is_distributed() and not first:
        dist.barrier()
    yield
    if is_distributed() and first:
        dist.barrier()


def shard(device):
    """ResidentLoader's options for this process's shard: rank, world size, a generator seeded alike on all ranks."""
    if not is_distributed():
        return {}  # one process: the whole data, in torch's own random order
    seed = [torch.randint(2**62, ()).item()]  # rank 0's draw, sent to the others: the same order on every rank
    dist.broadcast_object_list(seed, src=0)
    generator = torch.Generator(device=device).manual_seed(seed[0])
    return {"rank": rank(), "world_size": world_size(), "generator": generator}


def distribute(net, device):
    """net in DistributedDataParallel (gradients averaged over the processes) when distributed, else net itself."""
    if not is_distributed():
        return net
    return torch.nn.parallel.DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)


def unwrap(net):
    """The Net inside a DistributedDataParallel wrapper, or net itself."""
    return net.module if isinstance(net, torch.nn.parallel.DistributedDataParallel) else net


def mean_over_ranks(value):
    """The mean of a tensor over all processes (the tensor itself for a single process)."""
    if not is_distributed():
        return value
    value = value.clone()
    dist.all_reduce(value)
    return value / world_size()


class Checkpoint:
    """The training state in output_dir/checkpoint.pt: written atomically by rank 0, read to resume by every rank."""

    def __init__(self, output_dir, net, optimizer, loader, device):
        self.path = Path(output_dir) / "checkpoint.pt"
        self.net, self.optimizer, self.loader, self.device = net, optimizer, loader, device

    def save(self, epoch, step, steps, losses, running_loss):
        """Save the state after `step` mini-batches of epoch `epoch` (0-based), `steps` in all; called on every rank."""
        running = [torch.zeros((), device=running_loss.device) for _ in range(world_size())]
        if is_distributed():
            dist.all_gather(running, running_loss)  # each rank's partial sum towards its next loss line
        else:
            running = [running_loss]
        if not is_main():
            return
        state = {
            "model": unwrap(self.net).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "epoch": epoch,
            "step": step,
            "steps": steps,
            "losses": list(losses),
            "running_loss": [value.item() for value in running],
            "loader": self.loader.state_dict(),
            "batches": len(self.loader),
            "world_size": world_size(),
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + f".{os.getpid()}.partial")
        torch.save(state, partial)
        os.replace(partial, self.path)  # a kill leaves the old checkpoint or the new one, never half of one

    def resume(self):
        """Restore the checkpoint's state, if any, and return it with the epoch and step to go on from; else None."""
        state = [torch.load(self.path, map_location="cpu", weights_only=True) if self.path.is_file() else None]
        if is_distributed():
            dist.broadcast_object_list(state, src=0)  # rank 0's view: other machines need not see its output folder
        state = state[0]
        if state is None:
            return None
        if (state["batches"], state["world_size"]) != (len(self.loader), world_size()):
            raise SystemExit(
                f"error: {self.path} is from a run with other data, --batch-size or number of processes. "
                "Fix: run with the same flags, or start afresh with --no-resume."
            )
        unwrap(self.net).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng_cpu"])
        if state["rng_cuda"] is not None and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng_cuda"], self.device)
        epoch, step = state["epoch"], state["step"]
        if step == len(self.loader):
            epoch, step = epoch + 1, 0  # the epoch was finished: go on with a fresh order
        self.loader.load_state_dict(state["loader"], next_batch=step)
        return {
            **state,
            "at": (state["epoch"], state["step"]),
            "epoch": epoch,
            "step": step,
            "running_loss": state["running_loss"][rank()] if step else 0.0,
        }

    def remove(self):
        """Delete the checkpoint once the run has finished and saved its outputs, so that a new run starts afresh."""
        if is_main():
            self.path.unlink(missing_ok=True)


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
{%- if cookiecutter.sdk == "v1" %}


class StdoutRun:
    """Stand-in for azureml.core.Run when azureml-core is not installed: metrics are printed, nothing is sent."""

    announced = False

    @classmethod
    def get_context(cls):
        """Return a stand-in run, saying once that metrics go to stdout only."""
        if not cls.announced:
            print(
                "azureml-core is not installed: metrics go to stdout only "
                "(install the environment in .azureml/pytorch-env.yml to log them to Azure ML)"
            )
            cls.announced = True
        return cls()

    def log(self, name, value, description=""):
        """Print a metric the way the offline azureml Run does."""
        print(f"metric {name}: {value}")
{%- else %}


class StdoutMlflow:
    """Stand-in for the mlflow module when MLflow is not installed: metrics are printed, nothing is stored."""

    announced = False

    @classmethod
    def start_run(cls):
        """Say once that metrics go to stdout only."""
        if not cls.announced:
            print(
                "mlflow is not installed: metrics go to stdout only "
                "(install the environment in .azureml/pytorch-env.yml to log them with MLflow)"
            )
            cls.announced = True

    @staticmethod
    def log_metric(key, value, step=None):
        """Print a metric, as 'metric loss: 2.19'."""
        print(f"metric {key}: {value}")

    @staticmethod
    def end_run():
        """Nothing to end: no run was started."""
{%- endif %}
