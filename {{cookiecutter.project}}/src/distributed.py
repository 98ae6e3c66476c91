"""Training as several processes (torchrun, or Azure ML's launcher): the process group, ranks, shards, averaging."""

import os
from contextlib import contextmanager

import torch
import torch.distributed as dist


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


def gather(value):
    """A tensor's values on all processes, in rank order (a list of the one tensor for a single process)."""
    if not is_distributed():
        return [value]
    values = [torch.zeros_like(value) for _ in range(world_size())]
    dist.all_gather(values, value)
    return values


def from_main(value):
    """Rank 0's value (any picklable object) on every process: the value itself for a single process."""
    if not is_distributed():
        return value
    values = [value]
    dist.broadcast_object_list(values, src=0)
    return values[0]
