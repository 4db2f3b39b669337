"""bp.viz: the graph behind a tensor (its ops, leaves and edges), the layered layout, the SVG and DOT texts."""
import xml.etree.ElementTree as ElementTree

import pytest

import backprop as bp
from backprop import viz

SVG = "{http://www.w3.org/2000/svg}"


def neuron():
    """tanh(w*x + b) on scalars, with the leaves' names."""
    w = bp.tensor(0.5, requires_grad=True)
    x = bp.tensor(-1.5, requires_grad=True)
    b = bp.tensor(0.25, requires_grad=True)
    return bp.tanh(w * x + b), {"w": w, "x": x, "b": b}


def layer():
    """A small layer with a loss: a graph with matrices, broadcasting, a leaf used twice and a constant."""
    bp.manual_seed(0)
    W = bp.randn(3, 4, requires_grad=True)
    v = bp.randn(4, requires_grad=True)
    h = bp.relu(W @ v) * 2.0
    return (h.sum() + (v * v).mean()), {"W": W, "v": v}


def labelled_edges(nodes, edges):
    label = {node.id: node.label for node in nodes}
    return sorted((label[edge.source], label[edge.target]) for edge in edges)


def test_walk_finds_the_ops_and_leaves_of_a_neuron():
    y, params = neuron()
    nodes, edges = viz.walk(y, params)
    assert sorted((node.kind, node.label) for node in nodes) == sorted([
        ("op", "TanhBackward0"), ("op", "AddBackward0"), ("op", "MulBackward0"),
        ("leaf", "w"), ("leaf", "x"), ("leaf", "b")])
    assert labelled_edges(nodes, edges) == sorted([
        ("w", "MulBackward0"), ("x", "MulBackward0"), ("MulBackward0", "AddBackward0"), ("b", "AddBackward0"),
        ("AddBackward0", "TanhBackward0")])
    assert nodes[0].label == "TanhBackward0"  # the output first
    assert all(node.shape == () for node in nodes)


def test_walk_matches_torch_next_functions():
    """The same ops as torch records for the same program (torch's node names, walked through next_functions)."""
    torch = pytest.importorskip("torch")
    y, params = layer()
    nodes, _ = viz.walk(y, params)
    W = torch.tensor(params["W"].tolist(), requires_grad=True)
    v = torch.tensor(params["v"].tolist(), requires_grad=True)
    t = torch.relu(W @ v) * 2.0
    t = t.sum() + (v * v).mean()
    names, stack, seen = [], [t.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        if type(fn).__name__ != "AccumulateGrad":
            names.append(type(fn).__name__)
        stack.extend(next_fn for next_fn, _ in fn.next_functions)
    assert sorted(node.label for node in nodes if node.kind == "op") == sorted(names)


def test_shapes_a_leaf_used_twice_and_constants():
    y, params = layer()
    nodes, edges = viz.walk(y, params, constants=True)
    shape = {node.label: node.shape for node in nodes if node.kind != "constant"}
    assert shape["W"] == (3, 4) and shape["v"] == (4,)
    assert shape["MvBackward0"] == (3,) and shape["ReluBackward0"] == (3,) and shape["SumBackward0"] == ()
    v = next(node for node in nodes if node.label == "v")
    users = sorted(next(n.label for n in nodes if n.id == e.target) for e in edges if e.source == v.id)
    assert users == ["MulBackward0", "MulBackward0", "MvBackward0"]  # v * v: two edges into the same op
    assert [node.label for node in nodes if node.kind == "constant"] == ["2"]
    assert len(viz.walk(y, params)[0]) == len(nodes) - 1  # without constants=True: as make_dot


def test_a_custom_function_with_a_number_argument():
    """A PyTorch-style Function taking a Python number: the number is no node; the op is named as torch does."""

    class Power(bp.autograd.Function):
        @staticmethod
        def forward(ctx, x, power):
            ctx.save_for_backward(x)
            ctx.power = power
            return x ** power

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ctx.power * x ** (ctx.power - 1), None

    x = bp.tensor([1.0, 2.0], requires_grad=True)
    nodes, edges = viz.walk(bp.exp(Power.apply(x, 3.0)), {"x": x}, constants=True)
    assert [(node.kind, node.label, node.shape) for node in nodes] == [
        ("op", "ExpBackward0", (2,)), ("op", "PowerBackward", (2,)), ("leaf", "x", (2,))]
    assert len(edges) == 2


def test_unnamed_leaves_and_a_tensor_without_a_graph():
    y, _ = neuron()
    assert sorted(node.label for node in viz.walk(y)[0] if node.kind == "leaf") == ["leaf"] * 3
    (node,), edges = viz.walk(bp.tensor([1.0, 2.0]))
    assert (node.kind, node.shape, edges) == ("constant", (2,), [])


def test_layout_is_layered_deterministic_and_json():
    import json

    y, params = layer()
    first = viz.layout(y, params, constants=True)
    assert json.loads(json.dumps(first)) == first
    assert viz.layout(y, params, constants=True) == first
    again, again_params = layer()  # the same program again: the same drawing
    assert viz.layout(again, again_params, constants=True) == first
    place = {node["id"]: node for node in first["nodes"]}
    for edge in first["edges"]:
        a, b = place[edge["from"]], place[edge["to"]]
        assert a["layer"] < b["layer"] and a["x"] < b["x"]
        points = edge["points"]  # from the source's right side to the target's left side, left to right
        assert points[0] == [a["x"] + a["width"] / 2, a["y"]] and points[-1] == [b["x"] - b["width"] / 2, b["y"]]
        assert all(p[0] <= q[0] for p, q in zip(points, points[1:]))
        assert len(points) == 2 * (b["layer"] - a["layer"]), "a point in and out of each layer between"
    output = place[first["output"]]
    assert output["layer"] == max(node["layer"] for node in first["nodes"])
    for node in first["nodes"]:  # inside the drawing, no two boxes overlap
        assert node["width"] / 2 <= node["x"] <= first["width"] - node["width"] / 2
        assert node["height"] / 2 <= node["y"] <= first["height"] - node["height"] / 2
        for other in first["nodes"]:
            if other["id"] < node["id"]:
                apart_x = abs(node["x"] - other["x"]) >= (node["width"] + other["width"]) / 2
                apart_y = abs(node["y"] - other["y"]) >= (node["height"] + other["height"]) / 2
                assert apart_x or apart_y


def test_layers_are_the_longest_path_and_leaves_sit_next_to_their_user():
    y, params = neuron()
    placed = viz.layout(y, params)
    layer = {node["label"]: node["layer"] for node in placed["nodes"]}
    assert layer == {"w": 0, "x": 0, "MulBackward0": 1, "b": 1, "AddBackward0": 2, "TanhBackward0": 3}


def crossings(placed):
    """How many pairs of edges cross between two neighbouring layers (an edge that skips layers counts in each
    gap it spans, along its points: point 2k leaves a column, point 2k + 1 enters the next)."""
    place = {node["id"]: node for node in placed["nodes"]}
    links = []
    for edge in placed["edges"]:
        first, points = place[edge["from"]]["layer"], edge["points"]
        links += [(first + k, start[1], end[1]) for k, (start, end) in enumerate(zip(points[0::2], points[1::2]))]
    count = 0
    for k, (gap, a, b) in enumerate(links):
        count += sum(1 for other, c, d in links[k + 1:] if other == gap and (a - c) * (b - d) < 0)
    return count


def test_barycentre_sweeps_untangle_crossings(monkeypatch):
    """sin(b) * cos(a) + a*b: in the walk's order edges cross four times; the sweeps leave the one crossing no
    order avoids (a*b skips a layer, where sin(b) and cos(a) must both reach their product)."""
    a = bp.tensor(1.0, requires_grad=True)
    b = bp.tensor(2.0, requires_grad=True)
    nodes, edges = viz.walk(bp.sin(b) * bp.cos(a) + a * b, {"a": a, "b": b})
    after = crossings(viz.arrange(nodes, edges))
    monkeypatch.setattr(viz, "SWEEPS", 0)
    before = crossings(viz.arrange(nodes, edges))
    assert after <= 1 < before


def test_svg_is_xml_with_every_label():
    y, params = layer()
    text = viz.graph(y, params=params)
    root = ElementTree.fromstring(text)
    assert root.tag == SVG + "svg"
    shown = {element.text for element in root.iter(SVG + "text")}
    nodes, edges = viz.walk(y, params)
    assert {node.label for node in nodes} <= shown
    assert len(root.findall(f"{SVG}g")) == len(nodes)
    assert len(root.findall(f"{SVG}path")) == len(edges)
    assert text._repr_svg_() == text  # Jupyter draws it


def test_svg_escapes_names():
    x = bp.tensor(1.0, requires_grad=True)
    text = viz.graph(bp.exp(x), params={'<x & "y">': x})
    root = ElementTree.fromstring(text)
    assert '<x & "y">' in {element.text for element in root.iter(SVG + "text")}


def test_dot_mentions_every_node_and_edge():
    y, params = neuron()
    text = viz.graph(y, format="dot", params=params)
    nodes, edges = viz.walk(y, params)
    assert text.startswith("digraph {") and text.rstrip().endswith("}")
    for node in nodes:
        assert f'{node.id} [label="{node.label}\\n()"' in text
    for edge in edges:
        assert f"  {edge.source} -> {edge.target};" in text
    quoted = viz.graph(y, format="dot", params={'say "hi"': params["w"]})
    assert 'label="say \\"hi\\"\\n()"' in quoted


def test_a_freed_graph_still_draws():
    """After backward() the graph's inputs are freed: the ops and leaves are still found, inner shapes unknown."""
    y, params = neuron()
    y.backward()
    nodes, edges = viz.walk(y, params)
    assert len(nodes) == 6 and len(edges) == 5
    assert {node.label: node.shape for node in nodes}["MulBackward0"] is None
    ElementTree.fromstring(viz.graph(y, params=params))


def test_bad_input_is_one_line():
    y, params = neuron()
    with pytest.raises(TypeError, match="^viz needs a backprop Tensor, got list$"):
        viz.graph([1.0])
    with pytest.raises(ValueError, match="^format must be 'svg' or 'dot', got 'png'$"):
        viz.graph(y, format="png")
    with pytest.raises(TypeError, match="^params must be a dict name -> tensor, got list$"):
        viz.layout(y, params=[params["w"]])
    with pytest.raises(TypeError, match=r"^params\['w'\] must be a Tensor, got float$"):
        viz.layout(y, params={"w": 0.5})


def test_reachable_as_bp_viz_and_lazily():
    import subprocess
    import sys

    assert bp.viz is viz
    code = "import sys, backprop; print('backprop.viz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
