"""MaxNorm: the max-norm weight constraint, applied after every optimiser step."""
from backprop.nn.module import Module
from backprop.nn.utils import max_norm_

__all__ = ["MaxNorm"]


class MaxNorm:
    """Max-norm (Srebro et al. 2005; with dropout in Srivastava et al. 2014): per unit (neuron),
    if ||w|| > alpha then w <- alpha w / ||w||, w the unit's incoming weight vector.

    Calling it constrains every Linear, Maxout, Conv and LocallyConnected2d
    weight of ``module`` (see ``bp.nn.utils.max_norm_``); ``attach(optimizer)``
    makes it run after every ``optimizer.step()`` and returns the hook's handle.

    >>> import backprop as bp
    >>> model = bp.nn.Linear(3, 2)
    >>> opt = bp.optim.SGD(model.parameters(), lr=10.0)
    >>> handle = MaxNorm(model, max_norm=0.5).attach(opt)
    >>> model(bp.ones(4, 3)).sum().backward()
    >>> opt.step()
    >>> bool((model.weight.detach() ** 2).sum(dim=1).sqrt().max() <= 0.5 + 1e-6)
    True
    """

    def __init__(self, module, max_norm):
        if not isinstance(module, Module):
            raise TypeError(f"MaxNorm expects a Module, got {type(module).__name__}")
        if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or not max_norm > 0:
            raise ValueError(f"MaxNorm: max_norm must be a positive number, got {max_norm!r}")
        self.module, self.max_norm = module, max_norm

    def __call__(self, *hook_args):
        """Apply the constraint now (the arguments a step post-hook receives are ignored)."""
        max_norm_(self.module, self.max_norm)

    def attach(self, optimizer):
        """Run after every ``optimizer.step()``; returns a handle whose ``remove()`` detaches it."""
        return optimizer.register_step_post_hook(self)

    def __repr__(self):
        return f"MaxNorm(max_norm={self.max_norm})"
