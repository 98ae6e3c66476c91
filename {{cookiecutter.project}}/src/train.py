"""Train the tutorial's CNN on CIFAR-10 and log the loss to Azure ML."""
import argparse
import sys
import time

import torch
import torch.optim as optim

from data import ResidentLoader, load_cifar10
from model import Net
from runtime import (default_data_path, default_output_dir, non_negative_int, pick_device, positive_float,
                     positive_int, progress, save_outputs, seconds_since, unit_float)

try:
    from azureml.core import Run
except ImportError:  # azureml-core not installed: metrics go to stdout only
    from runtime import StdoutRun as Run


def parse_args(argv=None):
    """Read the training flags; the defaults are the tutorial's."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=positive_int, default=2, help="passes over the data (default: 2)")
    parser.add_argument("--batch-size", type=positive_int, default=4, help="images per mini-batch (default: 4)")
    parser.add_argument("--lr", type=positive_float, default=0.001, help="SGD learning rate (default: 0.001)")
    parser.add_argument("--momentum", type=unit_float, default=0.9, help="SGD momentum (default: 0.9)")
    parser.add_argument("--log-interval", type=positive_int, default=2000,
                        help="log the mean loss every N mini-batches (default: 2000)")
    parser.add_argument("--data-path", default=None,
                        help="folder for CIFAR-10 (default: data/ in the project root; ./data on Azure ML)")
    parser.add_argument("--synthetic", type=non_negative_int, default=0, metavar="N",
                        help="train on N made-up images in CIFAR-10's format instead (no download)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto",
                        help="where to train: auto takes CUDA, then MPS, then the CPU (default: auto)")
    parser.add_argument("--threads", type=non_negative_int, default=0,
                        help="CPU threads for PyTorch; 0 keeps its choice, one per core (default: 0)")
    parser.add_argument("--output-dir", default=None,
                        help="where model.pt, metrics.json and loss.png go (default: outputs/ in the project root)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
    args = parser.parse_args(argv)
    args.data_path = args.data_path or default_data_path()
    args.output_dir = args.output_dir or default_output_dir()
    return args


def train(args):
    """Train Net as the tutorial does, then test it and save it; return the metrics of the run."""
    # get run from the current context
    run = Run.get_context()
    device = pick_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.seed is not None:
        torch.manual_seed(args.seed)

    # download CIFAR 10 data (or make --synthetic images in the same format), held on the device
    trainset, testset = load_cifar10(args.data_path, synthetic=args.synthetic)
    trainloader = ResidentLoader(trainset, batch_size=args.batch_size, device=device, shuffle=True)

    # define convolutional network
    net = Net().to(device)

    # set up pytorch loss /  optimizer
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)

    # train the network
    losses, start = [], time.perf_counter()
    for epoch in range(args.epochs):

        running_loss = torch.zeros((), device=device)  # summed on the device: no wait for it each step
        for i, data in enumerate(progress(trainloader, desc=f"epoch {epoch + 1}"), 0):
            # unpack the data
            inputs, labels = data

            # zero the parameter gradients
            optimizer.zero_grad()

            # forward + backward + optimize
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()

            # print statistics
            running_loss += loss.detach()
            if i % args.log_interval == args.log_interval - 1:
                loss = running_loss.item() / args.log_interval
                # log loss metric to AML
                run.log('loss', loss)
                print(f'epoch={epoch + 1}, batch={i + 1:5}: loss {loss:.2f}')
                losses.append(loss)
                running_loss.zero_()

    print('Finished Training')
    seconds = seconds_since(start, device)
    images = args.epochs * len(trainset)
    print(f'Trained {images} images in {seconds:.1f} s: {images / seconds:.0f} images/s on {device}')

    # test the network on the images it has not seen
    accuracy = evaluate(net, ResidentLoader(testset, batch_size=1000, device=device, shuffle=False))
    run.log('accuracy', accuracy)
    print(f'Accuracy on the {len(testset)} test images: {100 * accuracy:.1f}%')

    metrics = {"loss": losses[-1] if losses else None, "losses": losses, "log_interval": args.log_interval,
               "accuracy": accuracy, "images": images, "test_images": len(testset), "seconds": seconds,
               "images_per_sec": images / seconds, "device": str(device)}
    save_outputs(args.output_dir, net, metrics)
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
