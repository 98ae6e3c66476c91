"""Train the tutorial's CNN on CIFAR-10 and log the loss to Azure ML."""
import argparse
import sys
import time

import torch
import torch.optim as optim

from data import load_cifar10
from model import Net
from runtime import default_data_path, non_negative_int, positive_float, positive_int, unit_float

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
    parser.add_argument("--num-workers", type=non_negative_int, default=2, help="data loader processes (default: 2)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
    args = parser.parse_args(argv)
    if args.data_path is None:
        args.data_path = default_data_path()
    return args


def train(args):
    """Train Net as the tutorial does and return the metrics of the run."""
    # get run from the current context
    run = Run.get_context()
    if args.seed is not None:
        torch.manual_seed(args.seed)

    # download CIFAR 10 data (or make --synthetic images in the same format)
    trainset = load_cifar10(args.data_path, train=True, synthetic=args.synthetic)
    trainloader = torch.utils.data.DataLoader(
        trainset,
        batch_size=args.batch_size,
        shuffle=True,
        num_workers=args.num_workers
    )

    # define convolutional network
    net = Net()

    # set up pytorch loss /  optimizer
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)

    # train the network
    losses, images, start = [], 0, time.perf_counter()
    for epoch in range(args.epochs):

        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
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
            images += len(labels)
            running_loss += loss.item()
            if i % args.log_interval == args.log_interval - 1:
                loss = running_loss / args.log_interval
                # log loss metric to AML
                run.log('loss', loss)
                print(f'epoch={epoch + 1}, batch={i + 1:5}: loss {loss:.2f}')
                losses.append(loss)
                running_loss = 0.0

    print('Finished Training')
    seconds = time.perf_counter() - start
    print(f'Trained {images} images in {seconds:.1f} s: {images / seconds:.0f} images/s')
    return {"loss": losses[-1] if losses else None, "losses": losses, "images": images,
            "seconds": seconds, "images_per_sec": images / seconds}


def main(argv=None):
    """Run training from the command line, printing each line as it happens (live in the Studio log)."""
    sys.stdout.reconfigure(line_buffering=True)
    train(parse_args(argv))


if __name__ == "__main__":
    main()
