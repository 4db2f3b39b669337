"""Fooling a network: adversarial examples, and training that resists them.

A change eta of the input too small to see, chosen against the gradient of
the loss, can flip a network's decision (the lecture's panda that becomes a
gibbon with eps = .007):

- ``fgsm``: x_adv = clip(x + eps sign(grad_x J(theta, x, y))), one step.
- ``pgd``: repeated smaller steps, each projected back onto the L-inf ball
  ||x_adv - x||_inf <= eps (with a random start in the ball).
- ``robust_accuracy``: accuracy on the attacked examples.

Adversarial training is an option of the trainer:
``bp.train.Trainer(..., adversary=fgsm_or_pgd, adversarial_weight=w)``
trains on J~ = (1 - w) J(x) + w J(x_adv).
"""
from backprop.attacks.evaluation import robust_accuracy
from backprop.attacks.gradient import fgsm, pgd

__all__ = ["fgsm", "pgd", "robust_accuracy"]
