"""LeCun 1989's five networks: the paper's counts of links and free weights, and outputs against
torch equivalents built by hand (unfold + einsum for the locally connected layers)."""
import numpy as np
import pytest

import backprop as bp
from backprop import models
from nn.twin import compare_module

from . import twins

rng = np.random.default_rng(0)

NETS = [models.lecun1989_net1, models.lecun1989_net2, models.lecun1989_net3, models.lecun1989_net4,
        models.lecun1989_net5]
# Table 1 of the paper: (links, free weights)
PAPER = [(2570, 2570), (3214, 3214), (1226, 1226), (2266, 1132), (5194, 1060)]


@pytest.mark.parametrize("number", range(1, 6))
def test_links_and_free_weights_are_the_papers(number):
    net = NETS[number - 1]()
    assert (models.count_links(net, (1, 16, 16)), models.count_parameters(net)) == PAPER[number - 1]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("side", [16, 8, 28])
@pytest.mark.parametrize("number", range(1, 6))
def test_matches_torch_equivalent(number, side, dtype):
    ours, theirs = NETS[number - 1]((1, side, side)), twins.lecun1989(number, side)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert models.count_parameters(ours) == sum(p.numel() for p in theirs.parameters())
    compare_module(ours, theirs, [rng.standard_normal((2, 1, side, side))], dtype)


def test_output_tanh_bounds_the_outputs():
    for make in NETS:
        net = make(output_tanh=True)
        assert isinstance(list(net)[-1], bp.nn.Tanh)
        out = net(bp.tensor(100 * rng.standard_normal((3, 1, 16, 16)).astype("float32")))
        assert out.shape == (3, 10) and float(out.abs().max()) <= 1
        assert models.count_parameters(net) == models.count_parameters(make())


def test_hidden_layers_have_the_papers_shapes():
    net3, net4, net5 = NETS[2](), NETS[3](), NETS[4]()
    # Net-3: one 8x8 map, a 3x3 field per unit; one 4x4 map, a 5x5 field per unit; all unshared
    assert net3[0].weight.shape == (8, 8, 1, 1, 3, 3) and net3[2].weight.shape == (4, 4, 1, 1, 5, 5)
    # Net-4: two 8x8 maps sharing a 3x3 kernel each, one bias per unit; H2 local over both maps
    assert (net4[0].weight.shape, net4[0].bias.shape) == ((2, 1, 3, 3), (2, 8, 8))
    assert net4[2].weight.shape == (4, 4, 1, 2, 5, 5)
    # Net-5: four 4x4 maps sharing a 5x5 kernel over both H1 maps, one bias per unit
    assert (net5[2].weight.shape, net5[2].bias.shape) == ((4, 2, 5, 5), (4, 4, 4))
