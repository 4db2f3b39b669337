"""The graph view's back end: an expression typed by a learner, its computational graph, forward and backward.

``parse_expression("tanh(w*x + b)")`` reads the text with a small grammar of
its own (a tokenizer and a recursive-descent parser: Python never evaluates
the text) and computes it with backprop: every name is a leaf tensor that
requires a gradient, every number a constant, every operator or function a
recorded op. ``graph_json`` then runs backward and returns the graph for the
browser: each node with its forward value and the gradient of the output with
respect to it, each edge with the gradient it carries back (the chain rule's
terms: a node that feeds several ops receives the sum of its edges), and the
order in which backward visits the nodes.

The grammar, loosest binding first::

    expression = term (("+" | "-") term)*
    term       = unary (("*" | "/" | "@") unary)*
    unary      = "-" unary | power
    power      = atom ("**" unary)?            (right to left: 2**3**2 = 2**9)
    atom       = number | name | function "(" expression ("," expression)* ")" | "(" expression ")"
"""
import dataclasses
import keyword
import math
import operator
import re

import backprop
from backprop import backend, viz
from backprop.nn import functional

MAX_CHARACTERS = 200
MAX_NODES = 50  # ops, names and numbers: what the browser can draw legibly
MAX_ELEMENTS = 64  # per tensor, a value given or a result
MAX_NESTING = 16  # parentheses and calls inside each other
DEFAULT_VALUES = (0.5, 0.8, 0.3, 0.6, 0.2, 0.9, 0.4, 0.7, 0.1)

MODELS = {
    "neuron": "tanh(w*x + b)",
    "mlp": "v1*tanh(w1*x + b1) + v2*tanh(w2*x + b2) + c",  # one input, two hidden tanh units, one output
    "loss": "(sigmoid(w*x + b) - y) ** 2",  # a neuron's squared error against a target y
}


def _over_last_dimension(function, name):
    def apply(x):
        if x.ndim == 0:
            raise ValueError(f"{name} needs a vector (give the name a list value), got a scalar")
        return function(x, -1)
    return apply


def _mse_loss(prediction, target):
    if prediction.shape != target.shape:
        raise ValueError(f"mse_loss needs two tensors of the same shape, got {tuple(prediction.shape)} and "
                         f"{tuple(target.shape)}")
    return functional.mse_loss(prediction, target)


# the functions a learner may call: name -> (number of arguments, the op); each records exactly one node
FUNCTIONS = {
    "tanh": (1, backprop.tanh), "sigmoid": (1, backprop.sigmoid), "relu": (1, backprop.relu),
    "exp": (1, backprop.exp), "log": (1, backprop.log), "sin": (1, backprop.sin), "cos": (1, backprop.cos),
    "sqrt": (1, backprop.sqrt), "abs": (1, backprop.abs), "sum": (1, backprop.sum), "mean": (1, backprop.mean),
    "softmax": (1, _over_last_dimension(backprop.softmax, "softmax")),
    "log_softmax": (1, _over_last_dimension(backprop.log_softmax, "log_softmax")),
    "mse_loss": (2, _mse_loss),
}
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "@": operator.matmul,
             "**": operator.pow, "neg": operator.neg}

_TOKEN = re.compile(r"(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<symbol>\*\*|[-+*/@(),])")


@dataclasses.dataclass
class _Token:
    kind: str  # "number" | "name" | "symbol" | "end"
    text: str
    position: int  # 1-based, as a learner counts characters


@dataclasses.dataclass
class _Parsed:
    """A node of the parsed expression: a number, a name, or an op (an operator or a function) of ``arguments``."""

    kind: str  # "number" | "name" | "op"
    text: str  # the number, the name, or the op's label ("+", "neg", "tanh", ...)
    position: int
    arguments: tuple = ()


@dataclasses.dataclass
class _Op:
    """A computed op: its result tensor, its label and where it stands in the text."""

    tensor: object
    label: str
    position: int


def _tokens(text):
    """The tokens of ``text``, one at a time (so that the parser reports the first error from the left)."""
    k = 0
    while k < len(text):
        if text[k].isspace():
            k += 1
            continue
        match = _TOKEN.match(text, k)
        if match is None:
            raise ValueError(f"unexpected character {text[k]!r} at position {k + 1}: an expression has numbers, "
                             "names, + - * / @ **, parentheses and function calls")
        yield _Token(match.lastgroup, match.group(), k + 1)
        k = match.end()
    yield _Token("end", "", len(text) + 1)


class _Parser:
    """Recursive descent over the tokens, one method per rule of the grammar; counts the nodes as it goes."""

    def __init__(self, text):
        self.tokens = _tokens(text)
        self.current = next(self.tokens)
        self.names = {}  # name -> None, in the order of first appearance
        self.nodes = 0
        self.nesting = 0

    def parse(self):
        tree = self.expression()
        token = self.peek()
        if token.kind != "end":
            raise ValueError(f"unexpected {token.text!r} at position {token.position}: the expression ends before it")
        return tree

    def peek(self):
        return self.current

    def take(self):
        token = self.current
        if token.kind != "end":
            self.current = next(self.tokens)
        return token

    def expect(self, text, where):
        token = self.take()
        if token.text != text:
            found = repr(token.text) if token.kind != "end" else "the end"
            raise ValueError(f"expected {text!r} at position {token.position} {where}, found {found}")

    def node(self, kind, text, position, arguments=()):
        if kind != "name" or text not in self.names:
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise ValueError(f"the expression has more than {MAX_NODES} nodes (ops, names and numbers): "
                                 "the graph view draws smaller graphs")
        if kind == "name":
            self.names[text] = None
        return _Parsed(kind, text, position, tuple(arguments))

    def expression(self):
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ValueError(f"parentheses and calls are nested more than {MAX_NESTING} deep")
        tree = self.term()
        while self.peek().text in ("+", "-"):
            token = self.take()
            tree = self.node("op", token.text, token.position, (tree, self.term()))
        self.nesting -= 1
        return tree

    def term(self):
        tree = self.unary()
        while self.peek().text in ("*", "/", "@"):
            token = self.take()
            tree = self.node("op", token.text, token.position, (tree, self.unary()))
        return tree

    def unary(self):
        if self.peek().text == "-":
            token = self.take()
            return self.node("op", "neg", token.position, (self.unary(),))
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek().text == "**":
            token = self.take()
            return self.node("op", "**", token.position, (base, self.unary()))
        return base

    def atom(self):
        token = self.take()
        if token.kind == "number":
            if not math.isfinite(float(token.text)):
                raise ValueError(f"the number {token.text} at position {token.position} is too large")
            return self.node("number", token.text, token.position)
        if token.kind == "name":
            return self.name_or_call(token)
        if token.text == "(":
            tree = self.expression()
            self.expect(")", f"to close the '(' at position {token.position}")
            return tree
        found = repr(token.text) if token.kind != "end" else "the end"
        raise ValueError(f"expected a number, a name or '(' at position {token.position}, found {found}")

    def name_or_call(self, token):
        name = token.text
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            raise ValueError(f"{name!r} at position {token.position} is a Python keyword, not a name here")
        if name.startswith("_"):
            raise ValueError(f"names start with a letter, got {name!r} at position {token.position}")
        if self.peek().text != "(":
            if name in FUNCTIONS:
                raise ValueError(f"{name!r} at position {token.position} is a function: call it, e.g. {name}(x)")
            return self.node("name", name, token.position)
        if name not in FUNCTIONS:
            raise ValueError(f"unknown function {name!r} at position {token.position}; the functions are "
                             f"{', '.join(FUNCTIONS)}")
        self.take()
        self.nesting += 1  # a call nests like a parenthesis
        arguments = [self.expression()]
        while self.peek().text == ",":
            self.take()
            arguments.append(self.expression())
        self.nesting -= 1
        self.expect(")", f"to close the call of {name} at position {token.position}")
        wanted = FUNCTIONS[name][0]
        if len(arguments) != wanted:
            raise ValueError(f"{name} at position {token.position} takes {wanted} argument{'s' if wanted > 1 else ''}, "
                             f"got {len(arguments)}")
        return self.node("op", name, token.position, arguments)


def parse_expression(text, values=None):
    """``(output, leaves)``: the expression computed with backprop, and its names as leaf tensors
    (``requires_grad``), name -> tensor. ``values``: name -> number or nested list (64 elements at most); a
    name without one gets a small deterministic scalar. Any error is a ValueError of one line."""
    output, leaves, _ = _compute(text, values)
    return output, leaves


def _compute(text, values):
    """``parse_expression``, with the ops computed (in the order they ran) for the graph."""
    if not isinstance(text, str):
        raise ValueError(f"the expression must be text, got {type(text).__name__}")
    if len(text) > MAX_CHARACTERS:
        raise ValueError(f"the expression has {len(text)} characters, more than {MAX_CHARACTERS}")
    if not text.strip():
        raise ValueError("the expression is empty: write one, e.g. tanh(w*x + b)")
    parser = _Parser(text)
    tree = parser.parse()
    given = _check_values(values, parser.names)
    leaves = {name: backprop.tensor(given.get(name, _default_value(k)), dtype=backprop.float64,
                                    requires_grad=True) for k, name in enumerate(parser.names)}
    ops = []
    with _quiet_arithmetic():
        output = _evaluate(tree, leaves, ops)
    return output, leaves, ops


def _check_values(values, names):
    """The values of the expression's names; values of other names are ignored (a form may keep the values of
    names that an edit of the expression removed)."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValueError(f"values must be a dict name -> number or nested list, got {type(values).__name__}")
    given = {name: values[name] for name in names if name in values}
    for name, value in given.items():
        count = math.prod(_shape_of(name, value, 0))
        if count > MAX_ELEMENTS:
            raise ValueError(f"the value of {name} has {count} elements, more than {MAX_ELEMENTS}")
    return given


def _shape_of(name, value, depth):
    """The shape of a number or a rectangular nested list of numbers (anything else refused)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not _fits_a_float(value):
            raise ValueError(f"the value of {name} must be a finite number of a float's range")
        return ()
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"the value of {name} must be a number or a nested list of numbers, got "
                         f"{type(value).__name__}")
    if not value or len(value) > MAX_ELEMENTS or depth >= 4:
        raise ValueError(f"the value of {name} must be a list of 1 to {MAX_ELEMENTS} items, nested 4 deep at most")
    shapes = {_shape_of(name, item, depth + 1) for item in value}
    if len(shapes) > 1:
        raise ValueError(f"the value of {name} is not rectangular: its items have different shapes")
    return (len(value),) + shapes.pop()


def _fits_a_float(number):
    try:
        return math.isfinite(number)  # an int beyond a float's range raises OverflowError
    except OverflowError:
        return False


def _default_value(k):
    """The value of the k-th name without one (counting from 0 in the order the names first appear): small,
    positive (inside the domain of log and sqrt) and different for the first nine."""
    return DEFAULT_VALUES[k % len(DEFAULT_VALUES)]


def _evaluate(tree, leaves, ops):
    if tree.kind == "number":
        return backprop.tensor(float(tree.text), dtype=backprop.float64)
    if tree.kind == "name":
        return leaves[tree.text]
    arguments = [_evaluate(argument, leaves, ops) for argument in tree.arguments]
    function = OPERATORS[tree.text] if tree.text in OPERATORS else FUNCTIONS[tree.text][1]
    try:
        result = function(*arguments)
    except (ArithmeticError, RuntimeError, TypeError, ValueError) as error:
        shapes = " and ".join(str(tuple(a.shape)) for a in arguments)
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"{tree.text} at position {tree.position} cannot take {shapes}: {reason}") from None
    if result.numel() > MAX_ELEMENTS:
        raise ValueError(f"{tree.text} at position {tree.position} gives {result.numel()} elements, more than "
                         f"{MAX_ELEMENTS}")
    ops.append(_Op(result, tree.text, tree.position))
    return result


def graph_json(expression, values=None):
    """The graph of ``expression`` after forward and backward (of the output's sum when it is not a scalar), as
    JSON-able data for the browser::

        {"expression", "output": the output node's id, "width", "height" (of the drawing, in pixels),
         "nodes": [{"id", "label", "kind": "op" | "leaf" | "constant", "shape", "value", "grad" (dL/d its value;
                    None for a constant), "x", "y", "width", "height", "layer",
                    "name" (a leaf), "grad_fn" and "position" (an op: torch's node name, where it is in the text)}],
         "edges": [{"from", "to", "grad" (what "to" passes back to "from"; None from a constant), "points"}],
         "backward_order": [node ids, the output first: the ops as backward runs them, each leaf when its
                            gradient is complete]}

    A value or gradient is a number for a scalar, a nested list otherwise. Positions come from ``bp.viz``."""
    output, leaves, ops = _compute(expression, values)
    if not output.requires_grad:
        raise ValueError("the expression has no name to differentiate, only numbers: use a name, e.g. 2*w")
    for op in ops:
        _check_finite(op.tensor, f"the result of {op.label} at position {op.position}")
        if op.tensor.requires_grad:
            op.tensor.retain_grad()
    nodes, edges = viz.walk(output, params=leaves, constants=True)  # before backward frees the graph
    drawing = viz.arrange(nodes, edges)
    placed = {node["id"]: node for node in drawing["nodes"]}
    passed, visits = _backward(output, nodes)
    made = {id(op.tensor.grad_fn): op for op in ops if op.tensor.grad_fn is not None}
    by_id = {node.id: node for node in nodes}
    result_nodes = [_node_json(node, made, placed[node.id]) for node in nodes]
    result_edges = [{"from": edge.source, "to": edge.target, "points": drawn["points"],
                     "grad": _edge_grad(passed, by_id[edge.target].source, edge.slot, by_id[edge.source])}
                    for edge, drawn in zip(edges, drawing["edges"])]
    return {"expression": expression, "output": nodes[0].id, "nodes": result_nodes, "edges": result_edges,
            "backward_order": _backward_order(nodes, edges, visits), "width": drawing["width"],
            "height": drawing["height"]}


def _quiet_arithmetic():
    """NumPy's warnings off (a log of a negative number...): graph_json reports a nan or inf as one clear line."""
    return backend.numpy.errstate(all="ignore")


def _check_finite(tensor, what):
    if not backprop.isfinite(tensor).all().item():
        raise ValueError(f"{what} is not finite (nan or inf) at these values: choose values inside each "
                         "function's domain")


def _backward(output, nodes):
    """Backward from ``output`` (seeded with ones), recording what each op passes to each input and the order
    in which the ops run: ``({(id(op's Function), input slot): gradient}, [Functions in the order run])``."""
    passed, visits = {}, []

    def recorder(fn):
        def record(grad_inputs, grad_outputs):
            visits.append(fn)
            for slot, gradient in enumerate(grad_inputs):
                if gradient is not None:
                    passed[(id(fn), slot)] = gradient.detach().numpy()
        return record

    for node in nodes:
        if node.kind == "op":
            node.source.register_hook(recorder(node.source))
    with _quiet_arithmetic():
        output.backward(backprop.ones_like(output))
    return passed, visits


def _edge_grad(passed, fn, slot, source):
    """What the op ``fn`` passes back through its input ``slot`` (summed back to the input's shape, as the
    engine does where the op broadcast it); None for a constant, which takes no gradient."""
    gradient = passed.get((id(fn), slot))
    if gradient is None or source.kind == "constant":
        return None
    return backprop.autograd.sum_to(gradient, source.shape).tolist()


def _node_json(node, made, place):
    op = made[id(node.source)] if node.kind == "op" else None
    tensor = op.tensor if op else node.source
    entry = {"id": node.id, "kind": node.kind, "label": op.label if op else node.label,
             "shape": list(tensor.shape), "value": tensor.detach().tolist(), "grad": None,
             "x": place["x"], "y": place["y"], "width": place["width"], "height": place["height"],
             "layer": place["layer"]}
    if node.kind == "leaf":
        entry["name"] = node.label
    if node.kind == "op":
        entry["grad_fn"] = node.label  # torch's name of the node, e.g. TanhBackward0
        entry["position"] = op.position  # where the op stands in the expression (1: the first character)
    if tensor.grad is not None:
        _check_finite(tensor.grad, f"the gradient of {op.label} at position {op.position}" if op
                      else f"the gradient of {node.label}")
        entry["grad"] = tensor.grad.tolist()
    return entry


def _backward_order(nodes, edges, visits):
    """The node ids in the order backward reaches them, the output first: the ops as the engine ran them, each
    leaf just after the last op that passes it a gradient (its gradient is complete then)."""
    if nodes[0].kind == "leaf":  # the expression is a name alone
        return [nodes[0].id]
    ids = {id(node.source): node.id for node in nodes if node.kind == "op"}
    order = [ids[id(fn)] for fn in visits]
    ran = {op: k for k, op in enumerate(order)}  # each op's place in the run
    last_user = {}
    for edge in edges:
        if edge.target in ran:
            last_user[edge.source] = max(last_user.get(edge.source, -1), ran[edge.target])
    result = []
    for k, op in enumerate(order):
        result.append(op)
        result.extend(node.id for node in nodes if node.kind == "leaf" and last_user.get(node.id) == k)
    return result
