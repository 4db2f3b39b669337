"""The model zoo: factories ``factory(input_shape=(C, H, W), num_classes=10, **options)`` for the
lectures' networks, counts of free weights and links, and a registry by name.

>>> import backprop as bp
>>> from backprop import models
>>> net = models.get("lecun1989_net5")
>>> models.count_links(net, (1, 16, 16)), models.count_parameters(net)
(5194, 1060)
"""
from backprop.models.alexnet import alexnet
from backprop.models.char_lm import CharLSTM, evaluate_char_lm, sample, sample_next, train_char_lm
from backprop.models.cnn import cnn
from backprop.models.counting import count_links, count_parameters
from backprop.models.gpt import GPT
from backprop.models.lecun1989 import lecun1989_net1, lecun1989_net2, lecun1989_net3, lecun1989_net4, lecun1989_net5
from backprop.models.lenet import lenet5
from backprop.models.lstm import RowLSTM, lstm
from backprop.models.mlp import mlp
from backprop.models.registry import ModelRow, describe, get, input_shapes, names
from backprop.models.resnet import BasicBlock, ResNet, resnet
from backprop.models.text_cnn import TextCNN
from backprop.models.transformer import TransformerClassifier
from backprop.models.untied import UntiedBiasConv2d
from backprop.models.vgg import vgg

__all__ = [
    "BasicBlock", "CharLSTM", "GPT", "ModelRow", "ResNet", "RowLSTM", "TextCNN", "TransformerClassifier", "UntiedBiasConv2d",
    "alexnet", "cnn", "count_links", "count_parameters", "describe", "evaluate_char_lm", "get", "input_shapes",
    "lecun1989_net1", "lecun1989_net2", "lecun1989_net3", "lecun1989_net4", "lecun1989_net5", "lenet5", "lstm", "mlp",
    "names", "resnet", "sample", "sample_next", "train_char_lm", "vgg",
]
