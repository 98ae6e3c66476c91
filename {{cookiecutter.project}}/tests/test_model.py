"""The tutorial's network: shapes and size."""

import torch

from model import Net


def test_net_maps_a_batch_of_cifar_images_to_ten_class_scores():
    assert Net()(torch.zeros(4, 3, 32, 32)).shape == (4, 10)


def test_net_has_the_tutorial_layer_sizes():
    net = Net()
    shapes = [tuple(p.shape) for p in net.parameters()]
    assert shapes == [(6, 3, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,), (10, 84), (10,)]
    assert sum(p.numel() for p in net.parameters()) == 62006
