"""The graph view's back end: expressions parsed by the grammar (never eval), their graph after forward and
backward, checked against the same expressions written by hand in torch."""
import json

import pytest

from backprop.serve import graph

torch = pytest.importorskip("torch")
F = torch.nn.functional

def _ops(*pairs):
    """{op label: [results, left to right in the text]} (an operator counts where its symbol stands, a function
    where its name does): what a torch side returns, each result computed once and used by the next ops."""
    found = {}
    for label, tensor in pairs:
        found.setdefault(label, []).append(tensor)
    return found


def neuron(t):
    product = t["w"] * t["x"]
    total = product + t["b"]
    return _ops(("tanh", torch.tanh(total)), ("*", product), ("+", total))


def layer(t):
    product = t["W"] @ t["x"]
    total = product + t["b"]
    hidden = torch.tanh(total)
    weighted = hidden * t["v"]
    return _ops(("sum", weighted.sum()), ("tanh", hidden), ("@", product), ("+", total), ("*", weighted))


def layer_loss(t):
    product = t["W"] @ t["x"]
    total = product + t["b"]
    prediction = torch.sigmoid(total)
    return _ops(("mse_loss", F.mse_loss(prediction, t["y"])), ("sigmoid", prediction), ("@", product), ("+", total))


def softmaxes(t):
    p, logp = torch.softmax(t["z"], -1), torch.log_softmax(t["z"], -1)
    first, second = p @ t["u"], logp @ t["u"]
    return _ops(("softmax", p), ("@", first), ("-", first - second), ("log_softmax", logp), ("@", second))


def elementwise(t):
    a = t["a"]
    e, s, c, r = torch.exp(a), torch.sin(a), torch.cos(a), torch.sqrt(a)
    product, quotient, negated = e * s, c / r, -a
    absolute, rectified = torch.abs(negated), torch.relu(a)
    cube = rectified ** 3
    total = product + quotient
    difference = total - absolute
    return _ops(("exp", e), ("*", product), ("sin", s), ("+", total), ("cos", c), ("/", quotient), ("sqrt", r),
                ("-", difference), ("abs", absolute), ("neg", negated), ("+", difference + cube),
                ("relu", rectified), ("**", cube))


def broadcast(t):
    product = t["W"] * t["x"]
    return _ops(("*", product), ("/", product / 2))


def entropy_like(t):
    p = t["p"]
    logp = torch.log(p)
    product = logp * p
    average = torch.mean(product)
    inverse = average ** -1
    negated = -p
    dot = negated @ p
    return _ops(("mean", average), ("log", logp), ("*", product), ("**", inverse), ("-", inverse - dot),
                ("neg", negated), ("@", dot))


def mlp(t):
    p1, p2 = t["w1"] * t["x"], t["w2"] * t["x"]
    s1, s2 = p1 + t["b1"], p2 + t["b2"]
    h1, h2 = torch.tanh(s1), torch.tanh(s2)
    o1, o2 = t["v1"] * h1, t["v2"] * h2
    total = o1 + o2
    return _ops(("*", o1), ("tanh", h1), ("*", p1), ("+", s1), ("+", total), ("*", o2), ("tanh", h2), ("*", p2),
                ("+", s2), ("+", total + t["c"]))


def loss(t):
    product = t["w"] * t["x"]
    total = product + t["b"]
    prediction = torch.sigmoid(total)
    error = prediction - t["y"]
    return _ops(("sigmoid", prediction), ("*", product), ("+", total), ("-", error), ("**", error ** 2))


CASES = [
    ("tanh(w*x + b)", {"w": 0.7, "x": -1.2, "b": 0.3}, neuron),
    ("sum(tanh(W @ x + b) * v)",
     {"W": [[0.5, -1.0], [0.25, 0.75], [-0.5, 0.1]], "x": [1.5, -2.0], "b": [0.1, 0.2, -0.3], "v": [1.0, -1.0, 2.0]},
     layer),
    ("mse_loss(sigmoid(W @ x + b), y)",
     {"W": [[0.3, -0.2], [0.8, 0.4]], "x": [1.0, 2.0], "b": [0.0, -1.0], "y": [1.0, 0.0]}, layer_loss),
    ("softmax(z) @ u - log_softmax(z) @ u", {"z": [0.5, -1.0, 2.0], "u": [1.0, 2.0, -3.0]}, softmaxes),
    ("exp(a) * sin(a) + cos(a) / sqrt(a) - abs(-a) + relu(a) ** 3", {"a": 0.6}, elementwise),
    ("W * x / 2", {"W": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "x": [0.5, -1.0, 2.0]}, broadcast),  # not a scalar
    ("mean(log(p) * p) ** -1 - -p @ p", {"p": [0.2, 0.3, 0.5]}, entropy_like),
]
MODEL_SIDES = {"neuron": neuron, "mlp": mlp, "loss": loss}


def torch_side(leaf_values, build):
    """The torch computation on the same leaf values: (leaves, {label: [ops]}), each op retaining its grad."""
    leaves = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
              for name, value in leaf_values.items()}
    ops = build(leaves)
    for tensors in ops.values():
        for t in tensors:
            t.retain_grad()
    return leaves, ops


def check_against_torch(result, build):
    nodes = {node["id"]: node for node in result["nodes"]}
    leaf_values = {node["name"]: node["value"] for node in result["nodes"] if node["kind"] == "leaf"}
    leaves, ops = torch_side(leaf_values, build)
    output = nodes[result["output"]]
    by_label = {}
    for node in sorted((n for n in result["nodes"] if n["kind"] == "op"), key=lambda n: n["position"]):
        by_label.setdefault(node["label"], []).append(node)
    assert {label: len(found) for label, found in by_label.items()} == {k: len(v) for k, v in ops.items()}
    torch_output = next(t for label, found in by_label.items() for node, t in zip(found, ops[label])
                        if node is output)
    torch_output.sum().backward()
    for name, leaf in leaves.items():
        node = next(n for n in result["nodes"] if n.get("name") == name)
        assert torch.allclose(torch.tensor(node["grad"], dtype=torch.float64), leaf.grad, rtol=1e-10, atol=1e-12), name
    for label, found in by_label.items():
        for node, t in zip(found, ops[label]):
            assert node["shape"] == list(t.shape)
            assert torch.allclose(torch.tensor(node["value"], dtype=torch.float64), t.detach(), rtol=1e-10,
                                  atol=1e-12), (label, node["position"])
            assert torch.allclose(torch.tensor(node["grad"], dtype=torch.float64), t.grad, rtol=1e-10,
                                  atol=1e-12), (label, node["position"])


def check_edges(result):
    """Each node's gradient is the sum of what its edges pass back to it (the chain rule's sum over uses)."""
    for node in result["nodes"]:
        if node["kind"] == "constant" or node["id"] == result["output"]:
            assert node["kind"] != "constant" or node["grad"] is None
            continue
        passed = [torch.tensor(e["grad"], dtype=torch.float64) for e in result["edges"] if e["from"] == node["id"]]
        assert passed, node
        assert torch.allclose(sum(passed), torch.tensor(node["grad"], dtype=torch.float64), rtol=1e-10, atol=1e-12)


def check_backward_order(result):
    order = result["backward_order"]
    kinds = {node["id"]: node["kind"] for node in result["nodes"]}
    assert order[0] == result["output"]
    assert sorted(order) == sorted(i for i, kind in kinds.items() if kind != "constant")
    for edge in result["edges"]:
        if kinds[edge["from"]] != "constant":  # a node is visited after every node that uses it
            assert order.index(edge["to"]) < order.index(edge["from"])


@pytest.mark.parametrize("expression, values, build", CASES, ids=[case[0] for case in CASES])
def test_values_and_gradients_equal_torch(expression, values, build):
    result = graph.graph_json(expression, values)
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    assert result["expression"] == expression
    check_against_torch(result, build)
    check_edges(result)
    check_backward_order(result)


def test_a_name_used_several_times_is_one_leaf_with_one_edge_per_use():
    result = graph.graph_json("x*x + 3*x", {"x": 1.5})
    (leaf,) = [n for n in result["nodes"] if n["kind"] == "leaf"]
    passed = [e["grad"] for e in result["edges"] if e["from"] == leaf["id"]]
    assert sorted(passed) == [1.5, 1.5, 3.0] and leaf["grad"] == 6.0  # d/dx (x² + 3x) = 2x + 3
    (constant,) = [n for n in result["nodes"] if n["kind"] == "constant"]
    assert (constant["label"], constant["value"], constant["grad"]) == ("3", 3.0, None)
    assert [e["grad"] for e in result["edges"] if e["from"] == constant["id"]] == [None]


@pytest.mark.parametrize("name", sorted(graph.MODELS))
def test_models_parse_and_equal_torch(name):
    result = graph.graph_json(graph.MODELS[name])
    check_against_torch(result, MODEL_SIDES[name])
    check_edges(result)
    check_backward_order(result)
    assert graph.graph_json(graph.MODELS[name]) == result  # the default values are deterministic


def test_parse_expression_gives_leaves_that_require_grad():
    output, leaves = graph.parse_expression("w * 2 - x", {"x": [1.0, 2.0]})
    assert list(leaves) == ["w", "x"]  # in the order the names first appear
    assert all(leaf.requires_grad and leaf.grad_fn is None for leaf in leaves.values())
    assert leaves["w"].item() == graph.DEFAULT_VALUES[0]
    assert output.tolist() == [2 * graph.DEFAULT_VALUES[0] - 1.0, 2 * graph.DEFAULT_VALUES[0] - 2.0]
    assert graph.parse_expression("2 ** 3 ** 2 * w")[0].item() == pytest.approx(512 * graph.DEFAULT_VALUES[0])
    assert graph.parse_expression("-w ** 2")[0].item() == pytest.approx(-graph.DEFAULT_VALUES[0] ** 2)
    assert graph.parse_expression(" ( w-1.5e-1 )/.5 ")[0].item() == pytest.approx((graph.DEFAULT_VALUES[0] - 0.15) * 2)


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "names start with a letter, got '__import__' at position 1"),
    ("a.b", "unexpected character '.' at position 2"),
    ("lambda x: x", "'lambda' at position 1 is a Python keyword"),
    ("lambda", "'lambda' at position 1 is a Python keyword"),
    ("'w'", "unexpected character \"'\" at position 1"),
    ('"w"', "unexpected character '\"' at position 1"),
    ("open(w)", "unknown function 'open' at position 1"),
    ("(w + 1", "expected ')' at position 7 to close the '(' at position 1, found the end"),
    ("w + 1)", "unexpected ')' at position 6: the expression ends before it"),
    ("tanh(w", "expected ')' at position 7 to close the call of tanh at position 1"),
    ("w x", "unexpected 'x' at position 3"),
    ("w +", "expected a number, a name or '(' at position 4, found the end"),
    ("w ** * 2", "expected a number, a name or '(' at position 6, found '*'"),
    ("tanh", "'tanh' at position 1 is a function: call it"),
    ("tanh(w, x)", "tanh at position 1 takes 1 argument, got 2"),
    ("mse_loss(w)", "mse_loss at position 1 takes 2 arguments, got 1"),
    ("", "the expression is empty"),
    ("w" + " " * 200, "the expression has 201 characters, more than 200"),
    ("+".join(["1"] * 26), "more than 50 nodes"),
    ("(" * 17 + "w" + ")" * 17, "nested more than 16 deep"),
    ("1e999 * w", "the number 1e999 at position 1 is too large"),
    ("2 + 3", "the expression has no name to differentiate"),
    ("log(w - 1)", "the result of log at position 1 is not finite"),
    ("sqrt(w - w)", "the gradient of - at position 8 is not finite"),
])
def test_bad_expressions_are_refused_in_one_line(text, message):
    with pytest.raises(ValueError) as caught:
        graph.graph_json(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text, values, message", [
    ("w * x", {"w": [1.0, 2.0], "x": [1.0, 2.0, 3.0]},
     "* at position 3 cannot take (2,) and (3,): mul: shapes (2,) and (3,) do not broadcast"),
    ("W @ x", {"W": [[1.0, 2.0]], "x": [1.0, 2.0, 3.0]}, "@ at position 3 cannot take (1, 2) and (3,): matmul"),
    ("mse_loss(w, x)", {"w": [1.0, 2.0], "x": 1.0}, "mse_loss needs two tensors of the same shape, got (2,) and ()"),
    ("softmax(w)", None, "softmax needs a vector"),
    ("a * b", {"a": [[1.0]] * 8, "b": [[1.0] * 9]}, "* at position 3 gives 72 elements, more than 64"),
    ("w", {"w": [1.0] * 65}, "must be a list of 1 to 64 items"),
    ("w", {"w": [[1.0] * 8] * 9}, "the value of w has 72 elements, more than 64"),
    ("w", {"w": [[1.0, 2.0], [3.0]]}, "the value of w is not rectangular"),
    ("w", {"w": "1"}, "the value of w must be a number or a nested list of numbers, got str"),
    ("w", {"w": True}, "got bool"),
    ("w", {"w": float("nan")}, "the value of w must be a finite number of a float's range"),
    ("w", {"w": 10 ** 400}, "the value of w must be a finite number of a float's range"),
    ("w", [1.0], "values must be a dict"),
])
def test_bad_values_and_shapes_are_refused_in_one_line(text, values, message):
    with pytest.raises(ValueError) as caught:
        graph.graph_json(text, values)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_values_of_other_names_are_ignored():
    """A form may still hold the value of a name the last edit removed: only the expression's names count."""
    result = graph.graph_json("2 * w", {"w": 1.5, "gone": "not a number", "a\nb": [[1], [2, 3]]})
    assert [node["value"] for node in result["nodes"] if node["kind"] == "leaf"] == [1.5]


def test_a_non_string_expression_is_refused():
    with pytest.raises(ValueError, match="^the expression must be text, got int$"):
        graph.parse_expression(3)


def test_the_parser_never_evaluates_python(monkeypatch):
    """Nothing of the text reaches Python's eval, exec or compile."""
    import builtins

    def refuse(*args, **kwargs):
        raise AssertionError("the parser called Python's evaluator")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, refuse)
    assert graph.graph_json("tanh(w*x + b)")["nodes"]
    with pytest.raises(ValueError):
        graph.graph_json("__import__('os').system('true')")


def test_nodes_carry_positions_from_the_layout():
    result = graph.graph_json("tanh(w*x + b)")
    place = {node["id"]: node for node in result["nodes"]}
    for edge in result["edges"]:
        assert place[edge["from"]]["layer"] < place[edge["to"]]["layer"]
        assert place[edge["from"]]["x"] < place[edge["to"]]["x"]
    assert all(0 < node["y"] < result["height"] for node in result["nodes"])
    assert {node["label"] for node in result["nodes"]} == {"tanh", "+", "*", "w", "x", "b"}
