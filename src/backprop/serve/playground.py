"""The playground's engine: 2-D datasets, a small network trained by backprop, and the frames the studio draws.

TensorFlow Playground's idea, run on backprop itself: points of two classes (or a surface to fit) in the square
[-6, 6]², a few input features of the point (x1, x2, x1², ...), hidden layers of a few units, and after every few
minibatch steps a *frame*: the train and test loss, and every unit's output as a map over the input plane (the
network evaluated once over a ``resolution``² grid, each layer's activations read on the way).

- :func:`parse_config` turns the browser's JSON settings into a :class:`Config`, refusing anything else in one line;
- :class:`Playground` holds the data, the network and its optimiser: ``step(n)`` trains, ``frame()`` shows;
- :func:`export_python` writes the same experiment as a plain backprop program a learner can run and read.

The model is ``bp.nn.Sequential(Linear, activation, [Dropout], ..., Linear, Tanh | Identity)``; the loss is
½ (output - target)² averaged over the minibatch, targets ±1 for classification (output unit tanh) and a number
for regression (linear output unit).

About the ``step`` activation: the Heaviside step is flat everywhere except at 0, so its gradient is 0 and no
gradient reaches the layers below it; a step network therefore does not learn by backprop (only the output
layer's weights and bias move). That is the lecture's point about threshold units, shown honestly: no surrogate
gradient is faked here.

>>> playground = Playground(parse_config({"dataset": "xor", "hidden": [4, 4], "resolution": 10}))
>>> playground.step(5)
>>> frame = playground.frame()
>>> frame["step"], len(frame["output"]), [layer["name"] for layer in frame["layers"]]
(5, 100, ['input', 'hidden 1', 'hidden 2', 'output'])
"""
import contextlib
import dataclasses
import inspect
import math
import threading

import numpy

import backprop as bp
from backprop.checks import check_int, check_number, check_widths, kind_of

__all__ = ["OPTIONS", "DATASETS", "FEATURES", "ACTIVATIONS", "OPTIMIZERS", "REGULARIZATIONS", "LIMITS",
           "Config", "options", "parse_config", "Playground", "export_python"]

DATASETS = ("circle", "xor", "gauss", "spiral", "plane", "multigauss")
REGRESSION = ("plane", "multigauss")
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "step", "arctan")
OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
REGULARIZATIONS = ("none", "L1", "L2")
LIMITS = {"points": 2000, "layers": 6, "units": 8, "resolution": 100, "batch_size": 100}

# each activation's module in bp.nn ("linear" is no activation at all: the identity)
ACTIVATION_MODULES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Identity", "step": "Step",
                      "arctan": "Arctan"}
# each optimiser's class in bp.optim and the settings it gets besides the learning rate
OPTIMIZER_CLASSES = {"sgd": ("SGD", {}), "momentum": ("SGD", {"momentum": 0.9}), "adagrad": ("Adagrad", {}),
                     "rmsprop": ("RMSprop", {}), "adam": ("Adam", {})}
DOMAIN = 6.0          # the data and every map lie in [-DOMAIN, DOMAIN]²
WARP_LINES = 21       # grid lines x1 = const (and as many x2 = const) in the warped-space view
WARP_SAMPLES = 41     # points along each of those lines
DECIMALS = 4          # maps, points and warped coordinates are for drawing: rounded to keep frames small


# ------------------------------------------------------------------ data
def jitter(points, amplitude, rng):
    """The points moved by uniform noise in [-amplitude, amplitude] on each coordinate, kept inside the square."""
    moved = points + rng.uniform(-amplitude, amplitude, size=points.shape)
    return numpy.clip(moved, -DOMAIN, DOMAIN)


def circle(n, noise, rng):
    """Class +1 inside radius 2.5, class -1 in the ring from 3.5 to 5; noise (a fraction) moves the points."""
    inside = n // 2
    radius = numpy.concatenate([rng.uniform(0, 2.5, inside), rng.uniform(3.5, 5, n - inside)])
    angle = rng.uniform(0, 2 * numpy.pi, n)
    points = numpy.stack([radius * numpy.cos(angle), radius * numpy.sin(angle)], axis=1)
    targets = numpy.where(numpy.arange(n) < inside, 1.0, -1.0)
    return jitter(points, 5 * noise, rng), targets


def xor(n, noise, rng):
    """Uniform points kept 0.3 away from the axes; the label is the sign of x1 * x2 (+1 in two opposite
    quadrants, -1 in the other two); noise moves the points after labelling."""
    points = rng.uniform(-5, 5, size=(n, 2))
    points += numpy.sign(points) * 0.3
    targets = numpy.where(points[:, 0] * points[:, 1] > 0, 1.0, -1.0)
    return jitter(points, 5 * noise, rng), targets


def gauss(n, noise, rng):
    """Two Gaussian clouds, class +1 around (2, 2) and class -1 around (-2, -2); noise widens them."""
    first = n // 2
    centres = numpy.where(numpy.arange(n)[:, None] < first, 2.0, -2.0)
    spread = 0.7 + 3.6 * noise
    points = centres + rng.normal(0, spread, size=(n, 2))
    targets = numpy.where(numpy.arange(n) < first, 1.0, -1.0)
    return numpy.clip(points, -DOMAIN, DOMAIN), targets


def spiral(n, noise, rng):
    """Two interleaved spiral arms of 1.75 turns out to radius 5, class +1 and class -1; noise moves the points."""
    first = n // 2
    arm = numpy.arange(n) < first
    along = numpy.where(arm, numpy.arange(n) / first, (numpy.arange(n) - first) / (n - first))
    radius = 5 * along
    angle = 1.75 * 2 * numpy.pi * along + numpy.where(arm, 0, numpy.pi)
    points = numpy.stack([radius * numpy.sin(angle), radius * numpy.cos(angle)], axis=1)
    targets = numpy.where(arm, 1.0, -1.0)
    return jitter(points, 2 * noise, rng), targets


def plane(n, noise, rng):
    """Regression: uniform points, the target (x1 + x2) / 12 (a tilted plane from -1 to 1) plus uniform noise."""
    points = rng.uniform(-DOMAIN, DOMAIN, size=(n, 2))
    targets = (points[:, 0] + points[:, 1]) / 12 + rng.uniform(-noise, noise, n)
    return points, targets


def multigauss(n, noise, rng):
    """Regression: uniform points, the target a sum of six Gaussian bumps of alternating sign (a surface between
    about -1 and 1) plus uniform noise."""
    points = rng.uniform(-DOMAIN, DOMAIN, size=(n, 2))
    targets = rng.uniform(-noise, noise, n)
    for x1, x2, sign in ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)):
        distance2 = (points[:, 0] - x1) ** 2 + (points[:, 1] - x2) ** 2
        targets += sign * numpy.exp(-distance2 / 4.5)
    return points, targets


GENERATORS = {generator.__name__: generator for generator in (circle, xor, gauss, spiral, plane, multigauss)}


def split(n, train_ratio, rng):
    """Indices of the train points and of the test points: a shuffle of 0..n-1 cut at train_ratio percent."""
    order = rng.permutation(n)
    cut = round(n * train_ratio / 100)
    return order[:cut], order[cut:]


def features(points, names):
    """The network's input: one float32 column per named feature of the points (x1, x2)."""
    x1, x2 = points[:, 0], points[:, 1]
    formulas = {"x1": x1, "x2": x2, "x1^2": x1 * x1, "x2^2": x2 * x2, "x1*x2": x1 * x2,
                "sin(x1)": numpy.sin(x1), "sin(x2)": numpy.sin(x2)}
    return numpy.stack([formulas[name] for name in names], axis=1).astype(numpy.float32)


def as_tensors(points, targets, names):
    """The inputs (the features of the points) and the targets as an (n, 1) column, both float32 tensors."""
    return bp.tensor(features(points, names)), bp.tensor(targets[:, None].astype(numpy.float32))


def batches(n, batch_size, rng):
    """Minibatches of the indices 0..n-1, forever: a fresh shuffle every epoch, whose last batch may be short."""
    while True:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


# ------------------------------------------------------------------ training
def penalty(model, regularization, rate):
    """The regularisation term added to the loss, over the weights (not the biases):
    rate * sum |w| for L1, rate * ½ sum w² for L2."""
    weights = [module.weight for module in model if isinstance(module, bp.nn.Linear)]
    if regularization == "L1":
        return rate * sum(weight.abs().sum() for weight in weights)
    return rate * 0.5 * sum((weight * weight).sum() for weight in weights)


def train_step(model, optimizer, inputs, targets, regularization="none", rate=0.0):
    """One minibatch step: the loss ½ (output - target)² averaged (plus the penalty on the weights), its gradients
    by backprop, then the optimiser's update."""
    optimizer.zero_grad()
    loss = 0.5 * bp.nn.functional.mse_loss(model(inputs), targets)
    if regularization != "none":
        loss = loss + penalty(model, regularization, rate)
    loss.backward()
    optimizer.step()


def evaluate(model, inputs, targets):
    """The mean of ½ (output - target)² over the points, in eval mode (no dropout) and without recording a graph."""
    model.eval()
    with bp.no_grad():
        loss = 0.5 * bp.nn.functional.mse_loss(model(inputs), targets)
    model.train()
    return loss.item()


# ------------------------------------------------------------------ settings
@dataclasses.dataclass(frozen=True)
class Config:
    """The playground's settings (the browser's JSON keys); build one with :func:`parse_config`, which checks them.

    noise and train_ratio are percentages, as in TensorFlow Playground; hidden lists the hidden layers' widths."""
    dataset: str = "xor"
    noise: float = 0.0
    train_ratio: float = 50.0
    points: int = 500
    batch_size: int = 10
    features: tuple = ("x1", "x2")
    hidden: tuple = (4, 2)
    activation: str = "tanh"
    learning_rate: float = 0.03
    optimizer: str = "sgd"
    regularization: str = "none"
    regularization_rate: float = 0.0
    dropout: float = 0.0
    resolution: int = 50
    seed: int = 0

    def as_dict(self):
        """The settings as a JSON-able dict (lists where the fields hold tuples)."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self).items()}

    @property
    def problem(self):
        """"regression" for the plane and the Gaussian surface, else "classification"."""
        return "regression" if self.dataset in REGRESSION else "classification"


DEFAULTS = Config().as_dict()


def options():
    """What the browser may choose: the names of each kind, the caps, the default settings, and which datasets
    are regression problems."""
    return {"datasets": list(DATASETS), "features": list(FEATURES), "activations": list(ACTIVATIONS),
            "optimizers": list(OPTIMIZERS), "regularizations": list(REGULARIZATIONS), "limits": dict(LIMITS),
            "defaults": dict(DEFAULTS), "regression": list(REGRESSION)}


OPTIONS = options()


def parse_config(data):
    """A :class:`Config` from a dict of settings (missing keys take their defaults). Anything else - an unknown
    key, a wrong type, a value out of range, a size over its cap - is a ValueError of one line naming what was
    expected and what came."""
    if not isinstance(data, dict):
        raise ValueError(f"the playground settings must be a JSON object, got {kind_of(data)}")
    for key in data:
        if key not in DEFAULTS:
            raise ValueError(f"unknown playground setting {key!r}: expected one of {', '.join(DEFAULTS)}")
    values = {**DEFAULTS, **data}
    try:
        return Config(
            dataset=_choice("dataset", values["dataset"], DATASETS),
            noise=check_number("noise", values["noise"], at_least=0, at_most=50),
            train_ratio=check_number("train_ratio", values["train_ratio"], at_least=10, at_most=90),
            points=check_int("points", values["points"], at_least=10, at_most=LIMITS["points"]),
            batch_size=check_int("batch_size", values["batch_size"], at_least=1, at_most=LIMITS["batch_size"]),
            features=_features(values["features"]),
            hidden=_hidden(values["hidden"]),
            activation=_choice("activation", values["activation"], ACTIVATIONS),
            learning_rate=check_number("learning_rate", values["learning_rate"], above=0, at_most=10),
            optimizer=_choice("optimizer", values["optimizer"], OPTIMIZERS),
            regularization=_choice("regularization", values["regularization"], REGULARIZATIONS),
            regularization_rate=check_number("regularization_rate", values["regularization_rate"], at_least=0,
                                             at_most=10),
            dropout=check_number("dropout", values["dropout"], at_least=0, below=1),
            resolution=check_int("resolution", values["resolution"], at_least=10, at_most=LIMITS["resolution"]),
            seed=check_int("seed", values["seed"], at_least=0, at_most=2**32 - 1))
    except TypeError as error:  # the checks say TypeError for a wrong type; the settings' one error is ValueError
        raise ValueError(str(error)) from None


def _choice(name, value, choices):
    if value not in choices or not isinstance(value, str):
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _features(value):
    words = f"features must be a non-empty list of distinct names from {', '.join(FEATURES)}"
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{words}, got {value!r}")
    for name in value:
        if name not in FEATURES or not isinstance(name, str):
            raise ValueError(f"{words}, got {name!r} in {value!r}")
    if len(set(value)) != len(value):
        raise ValueError(f"{words}, got a name twice in {value!r}")
    return tuple(value)


def _hidden(value):
    widths = check_widths("hidden", value, empty=True)
    if len(widths) > LIMITS["layers"] or any(width > LIMITS["units"] for width in widths):
        raise ValueError(f"hidden must be at most {LIMITS['layers']} layers of 1 to {LIMITS['units']} units, "
                         f"got {value!r}")
    return widths


# ------------------------------------------------------------------ the network
def build_network(config):
    """The network as a Sequential: (Linear, activation, Dropout if any) per hidden layer, then Linear to one output
    unit, tanh for classification and the identity (linear) for regression."""
    layers = []
    width = len(config.features)
    for units in config.hidden:
        layers += [bp.nn.Linear(width, units), getattr(bp.nn, ACTIVATION_MODULES[config.activation])()]
        if config.dropout:
            layers.append(bp.nn.Dropout(config.dropout))
        width = units
    layers += [bp.nn.Linear(width, 1), bp.nn.Tanh() if config.problem == "classification" else bp.nn.Identity()]
    return bp.nn.Sequential(*layers)


def build_optimizer(config, parameters):
    """The chosen optimiser from bp.optim over the parameters, at the config's learning rate."""
    name, settings = OPTIMIZER_CLASSES[config.optimizer]
    return getattr(bp.optim, name)(parameters, lr=config.learning_rate, **settings)


# the playgrounds of one process (several browser tabs) take turns with backprop's default generator
_RANDOM_LOCK = threading.Lock()


class Playground:
    """One playground: its data, its network and optimiser, and its own random state.

    Everything follows from ``config.seed``: the data come from ``numpy.random.default_rng(seed)`` (which then
    shuffles the minibatches), the initial weights and the dropout masks from backprop's default generator
    seeded with ``seed`` - swapped in while this playground draws, so that two playgrounds in one process do not
    disturb each other. Same config, same frames.
    """

    def __init__(self, config):
        self.config = config
        self.steps = 0
        rng = numpy.random.default_rng(config.seed)
        points, targets = GENERATORS[config.dataset](config.points, config.noise / 100, rng)
        train, test = split(len(points), config.train_ratio, rng)
        self.train_inputs, self.train_targets = as_tensors(points[train], targets[train], config.features)
        self.test_inputs, self.test_targets = as_tensors(points[test], targets[test], config.features)
        self.batches = batches(len(train), config.batch_size, rng)
        self.batches_per_epoch = math.ceil(len(train) / config.batch_size)
        self._random_state = bp.Generator().manual_seed(config.seed).get_state()
        with self._own_random():
            self.model = build_network(config)
        self.optimizer = build_optimizer(config, self.model.parameters())
        self.linears = [module for module in self.model if isinstance(module, bp.nn.Linear)]
        self._prepare_frames(points[train], targets[train], points[test], targets[test])

    @contextlib.contextmanager
    def _own_random(self):
        """Backprop's default generator in this playground's state for the block, then back as it was."""
        with _RANDOM_LOCK:
            saved = bp.random.get_rng_state()
            bp.random.set_rng_state(self._random_state)
            try:
                yield
            finally:
                self._random_state = bp.random.get_rng_state()
                bp.random.set_rng_state(saved)

    def step(self, n=1):
        """``n`` minibatch steps with the chosen optimiser."""
        n = check_int("n", n, at_least=1)
        config = self.config
        with self._own_random():
            for _ in range(n):
                batch = next(self.batches)
                train_step(self.model, self.optimizer, self.train_inputs[batch], self.train_targets[batch],
                           config.regularization, config.regularization_rate)
                self.steps += 1

    # -------------------------------------------------------------- frames
    def _prepare_frames(self, train_points, train_targets, test_points, test_targets):
        """What every frame reuses: the grid's inputs, the input layer's maps, the points as lists, and the
        points of the warped-space view's grid lines."""
        config = self.config
        side = numpy.linspace(-DOMAIN, DOMAIN, config.resolution)
        x1, x2 = numpy.meshgrid(side, side[::-1])  # row 0 at the top (x2 = +6), column 0 at the left (x1 = -6)
        grid = numpy.stack([x1.ravel(), x2.ravel()], axis=1)
        inputs = [features(grid, config.features)]
        self.input_maps = [_rounded(column) for column in inputs[0].T]
        self.train_points = _rounded(numpy.column_stack([train_points, train_targets]))
        self.test_points = _rounded(numpy.column_stack([test_points, test_targets]))
        self.warped = bool(config.hidden) and config.hidden[0] == 2
        if self.warped:
            inputs += [features(_warp_lines(), config.features), self.train_inputs.numpy()]
        self.frame_inputs = bp.tensor(numpy.concatenate(inputs))

    def frame(self):
        """The state to draw, as a JSON-able dict (the contract's "Frame"): losses, every unit's map over the
        grid, weights, biases and the last step's gradients per layer (of the minibatch loss plus the penalty:
        what the optimiser used), the warped space when the first hidden layer has 2 units. A value that is not
        finite (a diverging network) is None (JSON null)."""
        config = self.config
        cells = config.resolution ** 2
        activations = self._activations()
        layers = [{"name": "input", "units": [{"label": name, "map": column}
                                              for name, column in zip(config.features, self.input_maps)]}]
        for number, layer in enumerate(activations[:-1], start=1):
            layers.append({"name": f"hidden {number}", "units": [
                {"label": f"h{number}.{unit + 1}", "map": _rounded(layer[:cells, unit])}
                for unit in range(layer.shape[1])]})
        output = _rounded(activations[-1][:cells, 0])
        layers.append({"name": "output", "units": [{"label": "output", "map": output}]})
        return {
            "step": self.steps, "epoch": self.steps / self.batches_per_epoch, "problem": config.problem,
            "train_loss": _finite(evaluate(self.model, self.train_inputs, self.train_targets)),
            "test_loss": _finite(evaluate(self.model, self.test_inputs, self.test_targets)),
            "domain": [-DOMAIN, DOMAIN], "resolution": config.resolution,
            "train_points": self.train_points, "test_points": self.test_points,
            "output": output, "layers": layers,
            "weights": [_listed(linear.weight) for linear in self.linears],
            "biases": [_listed(linear.bias) for linear in self.linears],
            "gradients": [_listed(linear.weight.grad) if linear.weight.grad is not None
                          else numpy.zeros(tuple(linear.weight.shape)).tolist() for linear in self.linears],
            "warped": self._warped(activations[0][cells:]) if self.warped else None}

    def _activations(self):
        """Each layer's activations on the frame's inputs as arrays - what enters each Linear after the first, then
        the output - from one forward pass in eval mode (no dropout) without recording a graph."""
        self.model.eval()
        activations = []
        with bp.no_grad():
            value = self.frame_inputs
            for module in self.model:
                if isinstance(module, bp.nn.Linear) and value is not self.frame_inputs:
                    activations.append(value.numpy())
                value = module(value)
            activations.append(value.numpy())
        self.model.train()
        return activations

    def _warped(self, first_layer):
        """The grid lines and the train points as the first hidden layer (2 units) maps them."""
        line_points = 2 * WARP_LINES * WARP_SAMPLES
        lines = first_layer[:line_points].reshape(2 * WARP_LINES, WARP_SAMPLES, 2)
        targets = self.train_targets.numpy()
        return {"lines": _rounded(lines), "points": _rounded(numpy.column_stack([first_layer[line_points:],
                                                                                 targets]))}


def _warp_lines():
    """The points along the lines x1 = const (first WARP_LINES lines), then x2 = const, across the square."""
    constants = numpy.linspace(-DOMAIN, DOMAIN, WARP_LINES)
    along = numpy.linspace(-DOMAIN, DOMAIN, WARP_SAMPLES)
    fixed, moving = numpy.repeat(constants, WARP_SAMPLES), numpy.tile(along, WARP_LINES)
    return numpy.concatenate([numpy.stack([fixed, moving], axis=1), numpy.stack([moving, fixed], axis=1)])


def _finite(number):
    return number if math.isfinite(number) else None


def _listed(tensor):
    """A parameter or gradient tensor as nested lists of floats, None where not finite (tolist gives Python
    floats from float32 as it does from float64: no upcast needed)."""
    return _json_ready(tensor.detach().numpy())


def _rounded(array):
    """An array rounded to DECIMALS, as nested lists (None where not finite)."""
    return _json_ready(numpy.round(numpy.asarray(array, dtype=numpy.float64), DECIMALS))


def _json_ready(array):
    if numpy.isfinite(array).all():
        return array.tolist()
    return numpy.where(numpy.isfinite(array), array, None).tolist()


# ------------------------------------------------------------------ export as Python
def export_python(config):
    """The playground's experiment as a complete, runnable backprop program: the same data (the generator's code
    inlined), the same network and initial weights, the same optimiser and minibatches, so that after the same
    steps it prints the losses the playground shows."""
    generator = GENERATORS[config.dataset]
    helpers = [jitter] if "jitter" in generator.__code__.co_names else []  # the generator calls it
    functions = helpers + [generator, split, features, as_tensors, batches, penalty, train_step, evaluate]
    sources = "\n\n".join(inspect.getsource(function) for function in functions).rstrip()
    return _PROGRAM.format(
        summary=_summary(config), domain=DOMAIN, sources=sources, seed=config.seed, dataset=config.dataset,
        points=config.points, noise=config.noise, train_ratio=config.train_ratio, features=list(config.features),
        network=_network_code(config), optimizer=_optimizer_code(config), batch_size=config.batch_size,
        regularization=config.regularization, rate=config.regularization_rate)


def _summary(config):
    hidden = ", ".join(str(units) for units in config.hidden) or "none"
    regularization = ("no regularisation" if config.regularization == "none"
                      else f"{config.regularization} regularisation at rate {config.regularization_rate}")
    return (f"{config.dataset} ({config.problem}), {config.points} points, noise {config.noise}%, "
            f"{config.train_ratio}% for training;\nfeatures {', '.join(config.features)}; hidden layers: {hidden} "
            f"({config.activation}), dropout {config.dropout};\n{config.optimizer} at learning rate "
            f"{config.learning_rate}, batch size {config.batch_size}, {regularization}; seed {config.seed}.")


def _network_code(config):
    """The Sequential's construction as code, one module a line, read off the network the playground builds."""
    lines = []
    for module in build_network(config):
        if isinstance(module, bp.nn.Linear):
            lines.append(f"bp.nn.Linear({module.in_features}, {module.out_features}),")
        elif isinstance(module, bp.nn.Dropout):
            lines.append(f"bp.nn.Dropout({module.p}),")
        else:
            lines.append(f"bp.nn.{type(module).__name__}(),")
    return "\n        ".join(lines)


def _optimizer_code(config):
    name, settings = OPTIMIZER_CLASSES[config.optimizer]
    extra = "".join(f", {key}={value!r}" for key, value in settings.items())
    return f"bp.optim.{name}(model.parameters(), lr={config.learning_rate!r}{extra})"


_PROGRAM = '''"""A network from the backprop playground, as a program (made by backprop serve's "export as Python").

{summary}

The data lie in [-{domain}, {domain}]^2; the loss is 1/2 (output - target)^2 averaged. Run it:

    python this_file.py --steps 1000
"""
import argparse

import numpy

import backprop as bp

DOMAIN = {domain}


{sources}


def main():
    parser = argparse.ArgumentParser(description="Train the playground's network.")
    parser.add_argument("--steps", type=int, default=1000, help="minibatch steps (default 1000)")
    steps = parser.parse_args().steps

    # the data: one NumPy generator, seeded, draws the points, the train/test split and the minibatches
    rng = numpy.random.default_rng({seed})
    points, targets = {dataset}({points}, {noise} / 100, rng)
    train, test = split(len(points), {train_ratio}, rng)
    train_inputs, train_targets = as_tensors(points[train], targets[train], {features})
    test_inputs, test_targets = as_tensors(points[test], targets[test], {features})

    # the network: backprop's generator, seeded, draws the initial weights (and the dropout masks)
    bp.manual_seed({seed})
    model = bp.nn.Sequential(
        {network}
    )
    optimizer = {optimizer}

    minibatches = batches(len(train), {batch_size}, rng)
    for step in range(1, steps + 1):
        batch = next(minibatches)
        train_step(model, optimizer, train_inputs[batch], train_targets[batch], {regularization!r}, {rate})
        if step % 100 == 0 or step == steps:
            train_loss = evaluate(model, train_inputs, train_targets)
            test_loss = evaluate(model, test_inputs, test_targets)
            print(f"step {{step}}: train loss {{train_loss:.6f}}, test loss {{test_loss:.6f}}")


if __name__ == "__main__":
    main()
'''
