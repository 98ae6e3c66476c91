"""What a job will cost, said before it costs: the cluster's VM size, nodes, priority and idle time, the time limit."""

import math
import re
from dataclasses import dataclass

from aml import settings
from aml.messages import bounded, fail

DRY_RUN = "a dry run does not read the cluster"
UNKNOWN_SIZE = "VM size not known offline (02-create-compute.py --name sets it)"


@dataclass(frozen=True)
class Cluster:
    """What a cluster bills by: its VM size, its node range (0 to max_nodes), priority and idle time to scale down."""

    name: str
    vm_size: str
    max_nodes: int
    priority: str  # "dedicated" or "low priority"
    idle_seconds: int
    source: str  # where these facts come from


def add_max_hours(parser, default):
    """Add --max-hours, the job's own time limit (checked by max_seconds, after parsing)."""
    parser.add_argument(
        "--max-hours",
        default=f"{default:g}",
        metavar="H",
        help=f"the job's time limit in hours: Azure ML cancels it then "
        f"(default: {default:g}, {duration(hours(default))})",
    )


def hours(value):
    """value hours as whole seconds."""
    return round(value * 3600)


def max_seconds(text):
    """--max-hours as whole seconds, or stop with one line when it is not a positive number of hours."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0 and hours(value) >= 1):
        fail(
            f"--max-hours {text!r} is not a positive number of hours",
            "give the job's time limit in hours, such as --max-hours 2 or --max-hours 0.5",
        )
    return hours(value)


def duration(seconds):
    """seconds as a person reads them: 10 min, 2 h, 1.5 h."""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"


def is_gpu_size(vm_size):
    """Whether an Azure VM size has NVIDIA GPUs: the N-series (Standard_NC…, ND…, NV…)."""
    return re.match(r"(?i)standard_n[a-z]", vm_size or "") is not None


def idle_seconds(vm_size):
    """How long an idle node of this size stays up before the cluster scales down: GPU nodes go sooner."""
    if is_gpu_size(vm_size):
        return settings.GPU_IDLE_SECONDS_BEFORE_SCALEDOWN
    return settings.IDLE_SECONDS_BEFORE_SCALEDOWN


def price_class(vm_size):
    """The price class of a VM size, in words."""
    if is_gpu_size(vm_size):
        return "GPU (N-series, NVIDIA): an hour of a node costs about 10 times a CPU node's"
    return "CPU"


def planned(compute, why="", chosen=None):
    """The cluster as 02-create-compute.py makes it by default, from .azureml/settings.yml: what is known offline
    (`why`: why the cluster itself is not read)."""
    chosen = chosen or settings.load()
    # the chosen cluster first: a compute_name of gpu-cluster is still the one 02 makes without --gpu
    sizes = {settings.GPU_COMPUTE_NAME: chosen.gpu_vm_size, chosen.compute_name: chosen.vm_size}
    vm_size = sizes.get(compute)
    return Cluster(
        name=compute,
        vm_size=vm_size or UNKNOWN_SIZE,
        max_nodes=chosen.max_nodes,
        priority=settings.PRIORITIES[False],
        idle_seconds=idle_seconds(vm_size),
        source=f"{settings.SETTINGS_FILE.relative_to(settings.ROOT)} and 02-create-compute.py's defaults"
        + (f" ({why})" if why else ""),
    )


def read_or_planned(read, compute, seconds):
    """The cluster as read(), which asks the workspace, returns it within `seconds`; else the planned one, with why."""
    try:
        return bounded(read, seconds, f"reading cluster {compute!r}", "")
    except SystemExit as err:
        why = str(err).splitlines()[0].removeprefix("error: ")
    return planned(compute, f"the cluster itself could not be read: {why}")


def priority(text):
    """An SDK's name of a VM priority (dedicated, lowpriority, low_priority, LowPriority) as this project says it."""
    return settings.PRIORITIES["low" in str(text).lower()]


def print_costs(cluster, seconds, nodes=1):
    """Print, before anything is billed, what the job runs on and for how long at most."""
    print("cost (nodes are billed per minute while they are up):")
    print(
        f"  cluster:     {cluster.name}: {cluster.vm_size}, 0 to {cluster.max_nodes} nodes, {cluster.priority}; "
        f"this job takes {nodes}"
    )
    print(
        f"  scale-down:  idle nodes are removed after {duration(cluster.idle_seconds)} ({cluster.idle_seconds} s); "
        "at 0 nodes the cluster costs nothing"
    )
    if cluster.vm_size != UNKNOWN_SIZE:
        print(f"  price class: {price_class(cluster.vm_size)}")
    print(f"  time limit:  {duration(seconds)} ({seconds} s, --max-hours), then Azure ML cancels the job")
    print(f"  from:        {cluster.source}")


# A managed online deployment's VM size, and what one instance of each size costs an hour (USD, Linux, pay as you
# go, East US; other regions and offers differ: https://azure.microsoft.com/pricing/details/machine-learning/). A
# deployment bills every hour it exists, used or not, until it is deleted (08-deploy.py --delete).
ENDPOINT_INSTANCE_TYPE = "Standard_DS3_v2"  # 4 cores, 14 GB: the smallest size Azure ML advises for a deployment
ENDPOINT_PRICES_PER_HOUR = {"Standard_DS2_v2": 0.146, "Standard_DS3_v2": 0.293, "Standard_DS4_v2": 0.585}
PRICES_PAGE = "https://azure.microsoft.com/pricing/details/machine-learning/"


def endpoint_price(instance_type):
    """What one instance of a deployment's VM size costs an hour (USD, as ENDPOINT_PRICES_PER_HOUR); None if unknown."""
    return next((p for size, p in ENDPOINT_PRICES_PER_HOUR.items() if size.lower() == str(instance_type).lower()), None)


def print_endpoint_costs(instance_type, instance_count):
    """Print what a deployment bills: its VMs, each hour it exists, used or not (a day's and a month's too)."""
    price = endpoint_price(instance_type)
    print("cost (a deployment bills every hour it exists, used or not, until 08-deploy.py --delete):")
    print(f"  instances:   {instance_count} x {instance_type}")
    if price is None:
        print(f"  per hour:    not known here for {instance_type}: see {PRICES_PAGE}")
        return
    hourly = price * instance_count
    print(
        f"  per hour:    about ${hourly:.3f} (${price:.3f} an instance; pay as you go, East US, Linux), "
        f"${24 * hourly:.2f} a day, ${730 * hourly:.0f} a month"
    )
    print(f"  from:        {PRICES_PAGE} (other regions and offers differ)")
