"""Train the tutorial's CNN on CIFAR-10 and log the loss {% if cookiecutter.sdk == "v1" %}to Azure ML{% else %}with MLflow{% endif %} (alone, or as one of several processes)."""

import sys
import time

import installed  # noqa: F401  (first: without PyTorch, one line names the install step)

# isort: split
import torch
import torch.optim as optim

from checkpoints import Checkpoint, stopped_note
from data import CLASSES, ResidentLoader, load_cifar10
from device import pick_device, seconds_since
from distributed import (
    distribute,
    is_main,
    local_main_first,
    mean_over_ranks,
    shard,
    start_distributed,
    stop_distributed,
    world_size,
)
from flags import parse_args
from model import Net
from outputs import progress, save_outputs, summary
{%- if cookiecutter.sdk == "v1" %}
from tracking import Run, show_metrics  # azureml-core's Run, or a stand-in that prints the metrics without it
{%- else %}
from tracking import mlflow, show_metrics, start_tracking  # MLflow, or a stand-in that prints metrics without it
{%- endif %}


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
        start_tracking()
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

    # start afresh, or go on where an interrupted run stopped: with --resume, and always in an Azure ML job
    checkpoint = Checkpoint(args, net, optimizer, trainloader, device)
    steps, losses, images = checkpoint.steps, checkpoint.losses, checkpoint.images()

    # train the network
    start = time.perf_counter()
    for epoch, first in checkpoint.epochs():  # loop over the dataset multiple times, from where a stopped run was
        running_loss = checkpoint.running_loss()  # summed on the device: no wait for it each step
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
            checkpoint.save_when_due(epoch, i + 1, steps, losses, running_loss)

    seconds = seconds_since(start, device)
    if is_main():  # rank 0 alone prints, logs and saves
        print('Finished Training')
        print(f'Trained {images} images in {seconds:.1f} s: {images / seconds:.0f} images/s on {device}')

    # test the network on the images it has not seen
    accuracy, class_accuracy = evaluate(net, ResidentLoader(testset, batch_size=1000, device=device, shuffle=False))
    metrics = {
        "loss": losses[-1] if losses else None,
        "losses": losses,
        "log_interval": args.log_interval,
        "accuracy": accuracy,
        "class_accuracy": class_accuracy,
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
        run.log_table('class_accuracy', {'class': list(class_accuracy), 'accuracy': list(class_accuracy.values())})
{%- else %}
        # log accuracy metric with MLflow, and end the run
        mlflow.log_metric('accuracy', accuracy)
        mlflow.log_metrics({f'class_accuracy/{name}': value for name, value in class_accuracy.items()})
        mlflow.end_run()
{%- endif %}
        print(f'Accuracy on the {len(testset)} test images: {100 * accuracy:.1f}%')
        saved = save_outputs(args.output_dir, net, metrics)  # model.pt and metrics.json first, then loss.png
        checkpoint.remove()  # the run is complete: a new one starts afresh
        print(summary(metrics, saved, args.synthetic, show_metrics()))
    stop_distributed()
    return metrics


def evaluate(net, testloader):
    """The fraction of test images that net classifies correctly: of all, and of each class (by name, as in CLASSES)."""
    correct = torch.zeros(len(CLASSES), dtype=torch.long, device=testloader.labels.device)
    with torch.no_grad():
        for images, labels in testloader:
            correct += torch.bincount(labels[net(images).argmax(dim=1) == labels], minlength=len(CLASSES))
    per_class = correct / torch.bincount(testloader.labels, minlength=len(CLASSES)).clamp(min=1)
    return correct.sum().item() / len(testloader.labels), dict(zip(CLASSES, per_class.tolist(), strict=True))


def main(argv=None):
    """Run training from the command line, printing each line as it happens (live in the Studio log)."""
    sys.stdout.reconfigure(line_buffering=True)
    args = parse_args(argv)
    try:
        train(args)
    except KeyboardInterrupt:  # Ctrl-C: one line, no traceback; the last checkpoint stays, to resume from
        if is_main():
            print(stopped_note(args))
        sys.exit(130)


if __name__ == "__main__":
    main()
