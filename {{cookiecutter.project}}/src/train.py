"""Train the tutorial's CNN on CIFAR-10 and log the loss {% if cookiecutter.sdk == "v1" %}to Azure ML{% else %}with MLflow{% endif %} (alone, or as one of several processes)."""

import argparse
import sys
import time

import torch
import torch.optim as optim

from data import ResidentLoader, load_cifar10
from model import Net
from runtime import (
    Checkpoint,
    default_data_path,
    default_output_dir,
    distribute,
    is_main,
    local_main_first,
    mean_over_ranks,
    non_negative_int,
    pick_device,
    positive_float,
    positive_int,
    progress,
    save_outputs,
    seconds_since,
    shard,
    start_distributed,
{%- if cookiecutter.sdk == "v2" %}
    start_tracking,
{%- endif %}
    stop_distributed,
    unit_float,
    world_size,
)
{%- if cookiecutter.sdk == "v1" %}

try:
    from azureml.core import Run
except ImportError:  # azureml-core not installed: metrics go to stdout only
    from runtime import StdoutRun as Run
{%- else %}

try:
    import mlflow
except ImportError:  # mlflow not installed: metrics go to stdout only
    from runtime import StdoutMlflow as mlflow
{%- endif %}


def parse_args(argv=None):
    """Read the training flags; the defaults are the tutorial's."""
    parser = argparse.ArgumentParser(description=__doc__)
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
    parser.add_argument(
        "--synthetic",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="train on N made-up images in CIFAR-10's format instead (no download)",
    )
    parser.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda", "mps"],
        default="auto",
        help="where to train: auto takes CUDA, then MPS, then the CPU (default: auto)",
    )
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
        "--checkpoint-every",
        type=non_negative_int,
        default=0,
        metavar="K",
        help="also save checkpoint.pt every K steps, not only after each epoch; 0: off (default: 0)",
    )
    parser.add_argument(
        "--no-resume",
        dest="resume",
        action="store_false",
        help="start afresh, ignoring the output folder's checkpoint.pt of an interrupted run",
    )
    args = parser.parse_args(argv)
    args.data_path = args.data_path or default_data_path()
    args.output_dir = args.output_dir or default_output_dir()
    return args


def train(args):
    """Train Net as the tutorial does, then test it and save it; return the metrics of the run."""
    # join the other processes, if torchrun or Azure ML started several (one process trains alone)
    device = start_distributed(pick_device(args.device))
{%- if cookiecutter.sdk == "v1" %}
    # get run from the current context
    run = Run.get_context()
{%- else %}
    # start an MLflow run: the job's own on Azure ML, else one in mlruns.db in the project root; rank 0 alone logs
    if is_main():
        start_tracking(mlflow)
{%- endif %}
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.seed is not None:
        torch.manual_seed(args.seed)

    # download CIFAR 10 data (or make --synthetic images in the same format), held on the device; a shard per process
    with local_main_first():  # one download per machine
        trainset, testset = load_cifar10(args.data_path, synthetic=args.synthetic)
    trainloader = ResidentLoader(trainset, batch_size=args.batch_size, device=device, shuffle=True, **shard(device))

    # define convolutional network (wrapped to average the gradients of all processes, if there are several)
    net = distribute(Net().to(device), device)

    # set up pytorch loss /  optimizer
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)

    # go on from the checkpoint of an interrupted run, if there is one
    checkpoint = Checkpoint(args.output_dir, net, optimizer, trainloader, device)
    resumed = checkpoint.resume() if args.resume else None
    first_epoch, first_step, steps, losses = 0, 0, 0, []
    if resumed:
        first_epoch, first_step, steps, losses = (resumed[key] for key in ("epoch", "step", "steps", "losses"))
        if is_main():
            print(f"Resumed from {checkpoint.path}: epoch {resumed['at'][0] + 1}, step {resumed['at'][1]}")

    # train the network
    images, start = 0, time.perf_counter()
    for epoch in range(first_epoch, args.epochs):
        first = first_step if epoch == first_epoch else 0
        images += world_size() * (trainloader.per_rank - first * args.batch_size)

        running_loss = torch.zeros((), device=device)  # summed on the device: no wait for it each step
        if first:
            running_loss += resumed["running_loss"]
        for i, data in enumerate(progress(trainloader, desc=f"epoch {epoch + 1}"), first):
            # unpack the data
            inputs, labels = data

            # zero the parameter gradients
            optimizer.zero_grad()

            # forward + backward + optimize
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            steps += 1

            # print statistics
            running_loss += loss.detach()
            if i % args.log_interval == args.log_interval - 1:
                loss = mean_over_ranks(running_loss).item() / args.log_interval
                if is_main():
{%- if cookiecutter.sdk == "v1" %}
                    # log loss metric to AML
                    run.log('loss', loss)
{%- else %}
                    # log loss metric with MLflow
                    mlflow.log_metric('loss', loss, step=steps)
{%- endif %}
                    print(f'epoch={epoch + 1}, batch={i + 1:5}: loss {loss:.2f}')
                losses.append(loss)
                running_loss.zero_()

            # save a checkpoint at the end of each epoch, and every --checkpoint-every steps
            if i + 1 == len(trainloader) or (args.checkpoint_every and steps % args.checkpoint_every == 0):
                checkpoint.save(epoch, i + 1, steps, losses, running_loss)

    seconds = seconds_since(start, device)
    if is_main():  # rank 0 alone prints, logs and saves
        print('Finished Training')
        print(f'Trained {images} images in {seconds:.1f} s: {images / seconds:.0f} images/s on {device}')

    # test the network on the images it has not seen
    accuracy = evaluate(net, ResidentLoader(testset, batch_size=1000, device=device, shuffle=False))
    metrics = {
        "loss": losses[-1] if losses else None,
        "losses": losses,
        "log_interval": args.log_interval,
        "accuracy": accuracy,
        "images": images,
        "test_images": len(testset),
        "seconds": seconds,
        "images_per_sec": images / seconds,
        "device": str(device),
        "steps": steps,
        "processes": world_size(),
    }
    if is_main():
{%- if cookiecutter.sdk == "v1" %}
        run.log('accuracy', accuracy)
{%- else %}
        # log accuracy metric with MLflow, and end the run
        mlflow.log_metric('accuracy', accuracy)
        mlflow.end_run()
{%- endif %}
        print(f'Accuracy on the {len(testset)} test images: {100 * accuracy:.1f}%')
        save_outputs(args.output_dir, net, metrics)
        checkpoint.remove()  # the run is complete: a new one starts afresh
    stop_distributed()
    return metrics


def evaluate(net, testloader):
    """The fraction of test images that net classifies correctly."""
    correct = 0
    with torch.no_grad():
        for images, labels in testloader:
            correct += (net(images).argmax(dim=1) == labels).sum()
    return correct.item() / len(testloader.labels)


def main(argv=None):
    """Run training from the command line, printing each line as it happens (live in the Studio log)."""
    sys.stdout.reconfigure(line_buffering=True)
    train(parse_args(argv))


if __name__ == "__main__":
    main()
