"""Benchmark the generated train.py's loop against the tutorial's loop and the model-step floor, side by side."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
VARIANTS = ("tutorial", "generated", "floor")


def main(argv=None):
    """Bake a project, write synthetic CIFAR-10 files, run each variant in turn (alternating), print medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=8000, help="training images per timed epoch (default: 8000)")
    parser.add_argument("--batch-size", type=int, default=4, help="mini-batch size (default: 4, the tutorial's)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the three variants (default: 3)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--rss-images", type=int, default=50000, help="images for the peak-memory epoch; 0 skips it")
    parser.add_argument("--variant", choices=VARIANTS + ("rss",), help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.variant:
        return run_variant(args)

    from cookiecutter.main import cookiecutter

    with tempfile.TemporaryDirectory(prefix="aml-bench-") as work:
        work = Path(work)
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(work)))
        sys.path.insert(0, str(project / "src"))
        from data import write_synthetic_cifar10

        write_synthetic_cifar10(work / "data", n_train=args.images, n_test=1000)
        print(f"{args.images} synthetic images in CIFAR-10's format, batch size {args.batch_size}, "
              f"device {args.device}, torch threads: default; load average before: {load()}", flush=True)
        results = {variant: [] for variant in VARIANTS}
        for round_ in range(1, args.repeats + 1):
            for variant in VARIANTS:
                steps_per_s = child(args, variant, project, work / "data")["steps_per_s"]
                results[variant].append(steps_per_s)
                print(f"round {round_}: {variant:9s} {steps_per_s:8.1f} steps/s", flush=True)
        median = {variant: statistics.median(values) for variant, values in results.items()}
        print(f"\nmedians (steps/s): tutorial {median['tutorial']:.1f}, generated {median['generated']:.1f}, "
              f"floor {median['floor']:.1f}")
        print(f"generated / tutorial = {median['generated'] / median['tutorial']:.2f}x")
        print(f"generated / floor    = {median['generated'] / median['floor']:.1%}")
        if args.rss_images:
            write_synthetic_cifar10(work / "full", n_train=args.rss_images, n_test=10000)
            rss = child(args, "rss", project, work / "full")
            print(f"peak RSS, one epoch of {args.rss_images} images plus the 10000-image test: "
                  f"{rss['peak_rss_mb']:.0f} MB ({rss['steps_per_s']:.1f} steps/s)")
        print(f"load average after: {load()}")
    return 0


def load():
    """The 1, 5 and 15 minute load averages, as text."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def child(args, variant, project, data):
    """Run one variant in a fresh process; return what it measured, with its peak RSS."""
    command = [sys.executable, __file__, "--variant", variant, "--project", str(project), "--data", str(data),
               "--batch-size", str(args.batch_size), "--device", args.device]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"error: the {variant} variant failed:\n{output}")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def run_variant(args):
    """Measure one variant in this process and print its figures as the last line, in JSON."""
    sys.path.insert(0, str(Path(args.project) / "src"))
    import torch
    import torchvision

    for name in ("train_list", "test_list"):  # made-up files: the real checksums cannot match
        setattr(torchvision.datasets.CIFAR10, name,
                [[file, None] for file, _ in getattr(torchvision.datasets.CIFAR10, name)])
    torchvision.datasets.CIFAR10.meta = {**torchvision.datasets.CIFAR10.meta, "md5": None}
    device = torch.device(args.device)
    torch.manual_seed(0)

    if args.variant in ("generated", "rss"):
        import train

        with tempfile.TemporaryDirectory() as outputs:
            flags = ["--data-path", args.data, "--epochs", "1", "--batch-size", str(args.batch_size),
                     "--log-interval", "2000", "--device", args.device, "--output-dir", outputs]
            metrics = train.train(train.parse_args(flags))
        steps, seconds = -(-metrics["images"] // args.batch_size), metrics["seconds"]
    elif args.variant == "tutorial":
        steps, seconds = tutorial_loop(args, device)
    else:
        steps, seconds = floor_loop(args, device)
    print(json.dumps({"steps_per_s": steps / seconds}))
    return 0


def tutorial_loop(args, device):
    """The tutorial's train.py loop: PIL + ToTensor through DataLoader(2 workers), loss.item() every step."""
    import torch
    import torch.optim as optim
    import torchvision
    from model import Net

    trainset = torchvision.datasets.CIFAR10(root=args.data, train=True, download=False,
                                            transform=torchvision.transforms.ToTensor())
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=args.batch_size, shuffle=True, num_workers=2)
    net = Net().to(device)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    start = time.perf_counter()
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, labels = data[0].to(device), data[1].to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 2000 == 1999:
            running_loss = 0.0
    return len(trainloader), time.perf_counter() - start


def floor_loop(args, device):
    """The same model step on one fixed batch with no data work at all: the fastest this model can train."""
    import torch
    import torch.optim as optim
    import torchvision
    from model import Net

    trainset = torchvision.datasets.CIFAR10(root=args.data, train=True, download=False)
    inputs = torch.from_numpy(trainset.data[:args.batch_size]).permute(0, 3, 1, 2).float().div(255).to(device)
    labels = torch.as_tensor(trainset.targets[:args.batch_size], device=device)
    steps = -(-len(trainset) // args.batch_size)
    net = Net().to(device)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps, time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
