"""Hook handles, shared by ``nn.Module``'s forward hooks and the optimisers' step hooks (torch.utils.hooks)."""
import itertools

__all__ = ["RemovableHandle", "register"]

_ids = itertools.count()


class RemovableHandle:
    """What registering a hook returns: ``remove()`` unregisters the hook (also on leaving a ``with`` block).

    >>> hooks = {}
    >>> handle = RemovableHandle(hooks)
    >>> hooks[handle.id] = print
    >>> with handle:
    ...     len(hooks)
    1
    >>> len(hooks)
    0
    """

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = next(_ids)

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register(hooks, hook):
    """Put ``hook`` into ``hooks`` ({handle id: hook}); returns the handle whose ``remove()`` takes it out."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle
