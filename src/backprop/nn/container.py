"""Containers: Sequential, ModuleList, Identity."""
import collections

from backprop.nn.module import Module


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: length, iteration, append (named "0", "1", ...)."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Put ``module`` before position ``index``; the modules after it are renumbered."""
        modules = list(self._modules.values())
        modules.insert(_position(index, len(modules) + 1, type(self).__name__), module)
        self._renumber(modules)

    def pop(self, index=-1):
        module = self[index]
        del self[index]
        return module

    def __setitem__(self, index, module):
        key = list(self._modules)[_position(index, len(self), type(self).__name__)]
        self.add_module(key, module)

    def __delitem__(self, index):
        modules = list(self._modules.values())
        del modules[index]
        self._renumber(modules)

    def _renumber(self, modules):
        """torch renumbers "0", "1", ... after an insertion or a deletion."""
        self._modules.clear()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)


def _position(index, length, owner):
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a {owner} of {length} modules")
    return index % length


class Sequential(_ModuleSequence):
    """Modules applied in order: y = f_L(... f_2(f_1(x))), the lectures' layered network.

    >>> import backprop as bp
    >>> net = bp.nn.Sequential(bp.nn.Linear(2, 2), bp.nn.Identity(), bp.nn.Linear(2, 1))
    >>> net(bp.zeros(4, 2)).shape
    backprop.Size([4, 1])
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, collections.OrderedDict)):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(collections.OrderedDict(list(self._modules.items())[index]))
        return modules[index]


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered ("0.weight", "1.weight", ...)."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def __getitem__(self, index):
        modules = list(self._modules.values())
        return ModuleList(modules[index]) if isinstance(index, slice) else modules[index]


class Identity(Module):
    """y = x (a placeholder, e.g. for a removed layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input
