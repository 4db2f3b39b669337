"""Multitask learning: one shared representation, one head per task (Caruana 1997).

A trunk phi computes features once; each task t has its own small head:

    y_t = head_t(phi(x))          for every task t

Trained on the sum of the tasks' losses J = sum_t J_t, the trunk's gradient
is the sum of what every head sends back,

    dJ/dtheta_phi = sum_t dJ_t/dtheta_phi,

so every task shapes the shared features: a task with little data borrows
the representation that the others paid for.
"""
from backprop import nn

__all__ = ["MultiTask"]


class _Heads(nn.Module):
    """The heads by name (torch's ModuleDict for this one use): state-dict keys "heads.<task>.weight"."""

    def __getitem__(self, name):
        return self._modules[name]

    def __iter__(self):
        return iter(self._modules)

    def __len__(self):
        return len(self._modules)

    def items(self):
        return self._modules.items()


class MultiTask(nn.Module):
    """A shared ``trunk`` and ``heads`` {task name: module}; ``forward(x)`` -> {task name: head(trunk(x))}.

    The trunk runs once per forward pass, whatever the number of heads.

    >>> import backprop as bp
    >>> model = MultiTask(nn.Sequential(nn.Linear(4, 8), nn.ReLU()),
    ...                   {"digit": nn.Linear(8, 10), "odd": nn.Linear(8, 1)})
    >>> {task: y.shape for task, y in model(bp.zeros(2, 4)).items()}
    {'digit': backprop.Size([2, 10]), 'odd': backprop.Size([2, 1])}
    """

    def __init__(self, trunk, heads):
        super().__init__()
        if not isinstance(trunk, nn.Module):
            raise TypeError(f"MultiTask: trunk must be an nn.Module, got {type(trunk).__name__}")
        if not isinstance(heads, dict) or not heads:
            raise ValueError(f"MultiTask: heads must be a non-empty dict {{task name: module}}, got {heads!r}")
        self.trunk = trunk
        self.heads = _Heads()
        for name, head in heads.items():
            if not isinstance(name, str) or not name or "." in name:
                raise ValueError(f"MultiTask: each task name must be a non-empty str without '.', got {name!r}")
            if not isinstance(head, nn.Module):
                raise TypeError(f"MultiTask: the head of task {name!r} must be an nn.Module, "
                                f"got {type(head).__name__}")
            self.heads.add_module(name, head)

    def forward(self, x):
        features = self.trunk(x)
        return {name: head(features) for name, head in self.heads.items()}
