"""A torchvision subset served by the import hook as ``torchvision``: ``datasets`` (MNIST, FashionMNIST,
CIFAR10), ``transforms`` (the common ones), ``utils`` (``make_grid``, ``save_image``). Anything else of
torchvision raises the clear error ("torchvision.models is not provided by backprop")."""
