"""The import hook: a meta-path finder that answers ``import torch...`` / ``import torchvision...`` with proxies.

A proxy module (``TorchModule``) has no names of its own: an attribute is
looked up, in order, as

1. a mapped submodule (``torch.nn`` on ``torch``): imported through the hook;
2. the same name in each of the module's *sources* (``MODULES``), the first
   that has it: ``torch.nn.Linear`` is ``backprop.nn.Linear``;
3. otherwise ``AttributeError("torch.nn.Xyz is not provided by backprop")``.

A source is a module name (``"backprop.nn"``) or ``"module:name"``, a namespace
in that module (the shims, for torch modules that have no backprop
counterpart: ``torch.backends.cudnn``'s flags, ``torch.jit``). A source that
does not exist (yet) is skipped, so ``torch.distributions`` imports before
``backprop.distributions`` exists and its names raise the clear error.
A name, once found, is kept on the proxy: later uses are plain attribute
lookups (a miss costs ~10 us, as much as a small op; a loop says
``torch.tensor`` and ``F.relu`` often). backprop rebinds none of torch's names
at run time (``default_generator`` changes in place), so the kept value stays
backprop's. Assigning an attribute (``torch.backends.cudnn.benchmark = True``)
sets it on the proxy, never on backprop.
"""
import importlib
import importlib.abc
import importlib.util
import sys
import types

__all__ = ["MODULES", "ONLY", "TORCH_VERSION", "TORCHVISION_VERSION", "TorchModule", "install", "uninstall",
           "is_installed", "not_provided", "refusal", "resolve"]

# torch's version this backprop follows, marked as backprop's ("+backprop", a PEP 440 local version): programs
# comparing versions (packaging.version, tuple(map(int, v.split("+")[0].split(".")))) see 2.13
TORCH_VERSION = "2.13.0+backprop"
TORCHVISION_VERSION = "0.28.0+backprop"  # the torchvision release that goes with torch 2.13

_SHIMS = "backprop.compat.shims"
_VISION = "backprop.compat.torchvision"

# torch's module -> where its names come from, searched in order
MODULES = {
    "torch": ("backprop",),
    "torch.nn": ("backprop.nn", f"{_SHIMS}:nn"),
    "torch.nn.functional": ("backprop.nn.functional",),
    "torch.nn.init": ("backprop.nn.init",),
    "torch.nn.utils": ("backprop.nn.utils",),
    "torch.nn.utils.rnn": ("backprop.nn.utils.rnn", "backprop.nn.utils", "backprop.nn"),
    "torch.nn.utils.parametrize": ("backprop.nn.utils.parametrize",),
    "torch.nn.utils.parametrizations": ("backprop.nn.utils.parametrizations",),
    "torch.nn.utils.prune": ("backprop.nn.utils.prune",),
    "torch.nn.utils.stateless": ("backprop.nn.utils.stateless",),
    "torch.nn.utils.fusion": ("backprop.nn.utils.fusion",),
    "torch.nn.utils.clip_grad": ("backprop.nn.utils",),
    "torch.nn.utils.convert_parameters": ("backprop.nn.utils",),
    "torch.nn.modules": ("backprop.nn.modules", "backprop.nn"),
    **{f"torch.nn.modules.{file}": (f"backprop.nn.modules.{file}",) for file in (
        "activation", "adaptive", "batchnorm", "channelshuffle", "container", "conv", "distance", "dropout", "flatten",
        "fold", "instancenorm", "lazy", "linear", "loss", "module", "normalization", "padding", "pixelshuffle",
        "pooling", "rnn", "sparse", "transformer", "upsampling", "utils")},
    "torch.nn.parameter": ("backprop.nn.parameter",),
    "torch.nn.parallel": (f"{_SHIMS}:parallel",),
    "torch.optim": ("backprop.optim",),
    "torch.optim.lr_scheduler": ("backprop.optim.lr_scheduler",),
    "torch.optim.optimizer": ("backprop.optim.optimizer",),
    "torch.optim.swa_utils": ("backprop.optim.swa_utils",),
    "torch.utils": (),
    "torch.utils.data": ("backprop.data", "backprop.distributed.sampler"),  # DistributedSampler: data knows no ranks
    "torch.utils.data.distributed": ("backprop.distributed.sampler",),
    "torch.utils.data._utils": (),
    "torch.utils.data._utils.collate": ("backprop.data.collate",),
    "torch.utils.data.dataset": ("backprop.data.dataset",),
    "torch.utils.data.dataloader": ("backprop.data.loader",),
    "torch.utils.data.sampler": ("backprop.data.sampler", "backprop.data"),
    "torch.autograd": ("backprop.autograd", f"{_SHIMS}:autograd"),
    "torch.autograd.functional": ("backprop.autograd.functional",),
    "torch.autograd.profiler": (f"{_SHIMS}:autograd_profiler",),
    "torch.profiler": (f"{_SHIMS}:profiler",),
    "torch.linalg": ("backprop.linalg",),
    "torch.sparse": ("backprop.sparse",),
    "torch.cuda": ("backprop.cuda",),
    "torch.accelerator": ("backprop.accelerator", f"{_SHIMS}:accelerator"),
    "torch.random": ("backprop.random",),
    "torch.distributions": ("backprop.distributions",),
    "torch.functional": ("backprop",),
    "torch.testing": (f"{_SHIMS}:testing",),
    "torch.func": (f"{_SHIMS}:func",),
    "torch.utils.checkpoint": (f"{_SHIMS}:checkpoint",),
    "torch.backends": (),
    "torch.backends.cudnn": (f"{_SHIMS}:cudnn",),
    "torch.backends.cuda": (f"{_SHIMS}:backends_cuda",),
    "torch.backends.mps": (f"{_SHIMS}:mps",),
    "torch.backends.mkldnn": (f"{_SHIMS}:unavailable",),
    "torch.backends.mkl": (f"{_SHIMS}:unavailable",),
    "torch.backends.openmp": (f"{_SHIMS}:unavailable",),
    "torch.jit": (f"{_SHIMS}:jit",),
    "torch.onnx": (f"{_SHIMS}:onnx",),
    "torchvision": (_VISION,),
    "torchvision.datasets": (f"{_VISION}.datasets",),
    "torchvision.transforms": (f"{_VISION}.transforms",),
    "torchvision.utils": (f"{_VISION}.utils",),
}
# torch.distributions' files (torch.distributions.categorical, .constraints, .kl ...): backprop's file of that name
MODULES.update({f"torch.distributions.{name}": (f"backprop.distributions.{name}",) for name in """
    bernoulli beta binomial categorical cauchy chi2 constraint_registry constraints continuous_bernoulli dirichlet distribution exp_family
    exponential fishersnedecor gamma generalized_pareto geometric gumbel half_cauchy half_normal independent inverse_gamma kl kumaraswamy lkj_cholesky
    laplace log_normal logistic_normal lowrank_multivariate_normal mixture_same_family multinomial multivariate_normal
    negative_binomial normal one_hot_categorical pareto poisson relaxed_bernoulli relaxed_categorical studentT
    transformed_distribution transforms uniform utils von_mises weibull wishart""".split()})

# modules that show only some names of their sources, all of torch's names there (torch.functional is a handful of
# torch's functions; the recurrent-sequence helpers may live in backprop.nn.utils or backprop.nn): a name outside
# the set is a name torch lacks too, and its error says so
ONLY = {
    "torch.functional": frozenset({
        "atleast_1d", "atleast_2d", "atleast_3d", "align_tensors", "broadcast_shapes", "broadcast_tensors",
        "cartesian_prod", "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu", "norm", "meshgrid",
        "pca_lowrank", "split", "stft", "svd_lowrank", "tensordot", "unique", "unique_consecutive",
        "unravel_index"}),
    "torch.nn.utils.rnn": frozenset({
        "PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
        "unpad_sequence", "pack_sequence", "unpack_sequence"}),
}

# modules whose private names are lent too: torch.nn.modules.<file>'s base classes (_Loss, _ConvNd, _BatchNorm ...)
# and tuple helpers (_pair ...), which programs subclass and import
_PRIVATE_LENT = "torch.nn.modules."

_EXTRAS = {"torch": {"__version__": TORCH_VERSION}, "torchvision": {"__version__": TORCHVISION_VERSION}}
_ROOTS = ("torch", "torchvision")


def not_provided(name, hint=""):
    """The one message for a torch name backprop lacks."""
    return f"{name} is not provided by backprop" + (f" ({hint})" if hint else "")


def refusal(name, hint=""):
    """A stand-in for a torch function that has no meaning here: it imports, and raises NotImplementedError
    naming itself when called. ``--list-missing`` reports it (``is_refusal``)."""
    message = not_provided(name, hint)

    def refuse(*args, **kwargs):
        raise NotImplementedError(message)

    refuse.__name__ = refuse.__qualname__ = name.rpartition(".")[2]
    refuse.__doc__ = message + "; it raises NotImplementedError when called."
    refuse.backprop_refusal = message
    return refuse


def is_refusal(value):
    return getattr(value, "backprop_refusal", None) is not None


def _source(spec):
    """The module or namespace ``spec`` names, or None when it does not exist (yet)."""
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # only the source itself (or a package above it) missing counts as "not there yet"
        if error.name and (module_name == error.name or module_name.startswith(error.name + ".")):
            return None
        raise
    return getattr(module, attribute) if attribute else module


class TorchModule(types.ModuleType):
    """A torch module whose names are backprop's (see the module docstring)."""

    def __init__(self, name, sources):
        super().__init__(name)
        self.__dict__["_backprop_sources"] = tuple(sources)
        self.__dict__.update(_EXTRAS.get(name, {}))

    def _sources(self):
        found = self.__dict__.get("_backprop_found")
        if found is None:
            found = [s for s in map(_source, self._backprop_sources) if s is not None]
            if len(found) == len(self._backprop_sources):  # all there; a missing one is looked for again next time
                self.__dict__["_backprop_found"] = found
        return found

    def __getattr__(self, attribute):
        name = f"{self.__name__}.{attribute}"
        if attribute.startswith("__") and attribute.endswith("__"):
            if attribute == "__all__":
                return sorted(n for n in self._names() if not n.startswith("_"))
            raise AttributeError(attribute)
        if name in MODULES:
            return importlib.import_module(name)
        if attribute.startswith("_") and not self.__name__.startswith(_PRIVATE_LENT):
            # torch's private names (torch._C ...) are not backprop's, but the base classes programs subclass
            raise AttributeError(not_provided(name))
        only = ONLY.get(self.__name__)
        if only is not None and attribute not in only:  # ONLY lists all of torch's names there
            raise AttributeError(not_provided(name, f"torch has no {name} either"))
        for source in self._sources():
            try:
                value = getattr(source, attribute)
            except AttributeError:
                continue
            except NotImplementedError as error:  # a source that refuses its missing names (backprop.sparse)
                raise AttributeError(str(error)) from None
            self.__dict__[attribute] = value
            return value
        if not self._sources() and self._backprop_sources:
            missing = ", ".join(s.partition(":")[0] for s in self._backprop_sources)
            raise AttributeError(not_provided(name, f"backprop has no {missing} yet"))
        raise AttributeError(not_provided(name))

    def _names(self):
        names = set(self.__dict__)
        for source in self._sources():
            names.update(n for n in dir(source) if not n.startswith("_"))
        only = ONLY.get(self.__name__)
        if only is not None:
            names &= only | set(self.__dict__)
        prefix = self.__name__ + "."
        names.update(m[len(prefix):] for m in MODULES if m.startswith(prefix) and "." not in m[len(prefix):])
        return names

    def __dir__(self):
        return sorted(self._names())

    def __repr__(self):
        return f"<module {self.__name__!r} (backprop)>"


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return TorchModule(spec.name, MODULES[spec.name])

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """Claims torch and torchvision: a mapped module gets a proxy, any other one the clear ModuleNotFoundError
    (it must not fall through to a real torch on sys.path)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] not in _ROOTS:
            return None
        if fullname not in MODULES:
            raise ModuleNotFoundError(not_provided(fullname), name=fullname)
        return importlib.util.spec_from_loader(fullname, _LOADER, is_package=True)

    def __repr__(self):
        return "<backprop.compat import hook: torch and torchvision resolved to backprop>"


_LOADER = _Loader()
_FINDER = _Finder()


def _ours(name):
    return name.partition(".")[0] in _ROOTS


def is_installed():
    """Is the hook in ``sys.meta_path``?"""
    return _FINDER in sys.meta_path


def install():
    """Resolve ``import torch`` (and torchvision) to backprop from now on in this interpreter.

    Refuses (RuntimeError) when the real PyTorch or torchvision is already imported: the program would mix
    two libraries' tensors. Installing twice does nothing.
    """
    if is_installed():
        return
    real = sorted(n for n, m in sys.modules.items() if _ours(n) and m is not None and not isinstance(m, TorchModule))
    if real:
        where = getattr(sys.modules[real[0]], "__file__", None) or "?"
        raise RuntimeError(f"the real {real[0]} is already imported in this interpreter ({where}); "
                           "backprop.compat.install() would shadow it: install before anything imports torch, "
                           "or start a fresh interpreter")
    sys.meta_path.insert(0, _FINDER)


def uninstall():
    """Take the hook out of ``sys.meta_path`` and the proxy modules out of ``sys.modules``."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n, m in sys.modules.items() if _ours(n) and isinstance(m, TorchModule)]:
        del sys.modules[name]


def resolve(dotted):
    """The object ``torch.a.b`` names under the hook (importing mapped modules); raises AttributeError or
    ModuleNotFoundError naming the first part backprop lacks. The hook must be installed."""
    parts = dotted.split(".")
    value = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        name = ".".join(parts[:i + 1])
        if isinstance(value, types.ModuleType) and not isinstance(value, TorchModule) and name in MODULES:
            value = importlib.import_module(name)
            continue
        try:
            value = getattr(value, part)
        except AttributeError:
            if isinstance(value, TorchModule):
                raise
            raise AttributeError(not_provided(name)) from None
    return value
