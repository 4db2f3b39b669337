"""Ready-made datasets: digits, MNIST, Fashion-MNIST, CIFAR-10 and synthetic problems."""
