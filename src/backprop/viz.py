"""Drawing the computational graph behind a tensor (the idea of torchviz's ``make_dot``, without graphviz).

When a tensor is computed from tensors that require a gradient, autograd records
the op that made it in ``tensor.grad_fn``, and each op keeps where its inputs
came from: another op, a leaf tensor (created by the user, ``requires_grad``),
or a constant. ``walk`` follows those links back from the tensor and lists the
nodes (ops, leaves, constants) and the edges (input -> op, in the forward
direction). ``layout`` places them in layers, inputs on the left and the
output on the right, and ``graph`` draws them as SVG (shown inline by Jupyter)
or writes them as DOT text for graphviz.

>>> import backprop as bp
>>> w = bp.tensor(0.5, requires_grad=True)
>>> x = bp.tensor(2.0, requires_grad=True)
>>> svg = bp.viz.graph(bp.tanh(w * x), params={"w": w, "x": x})

The layout is a small version of the layered drawing graphviz uses: each op
sits one layer right of its furthest input (the longest path from the inputs),
each leaf or constant one layer left of its first use, an edge that skips
layers passes a waypoint in each, and a few sweeps order the nodes and
waypoints of each layer by the mean position of their neighbours (the
barycentre), which untangles most crossings.
"""
import collections
import dataclasses
import heapq
from xml.sax.saxutils import escape, quoteattr

from backprop.autograd import Function
from backprop.tensor import Tensor

__all__ = ["Node", "Edge", "walk", "layout", "graph"]

SWEEPS = 4  # barycentre sweeps (right, left, right, left): more rarely change a small graph
CHAR_WIDTH, LINE_HEIGHT = 7.5, 16  # monospace text at 12 px
COLUMN_GAP, ROW_GAP, MARGIN = 56, 22, 16
COLOURS = {"op": "#e8e8e8", "leaf": "#cfe3ff", "constant": "#ffffff", "output": "#c9efc5"}


@dataclasses.dataclass
class Node:
    """One node of the graph: an op (``source`` is its autograd Function), a leaf tensor or a constant tensor
    (``source`` is the tensor). ``shape`` is the shape of the op's output or the tensor's (None when unknown: the
    graph was freed by a backward pass before it could be read)."""

    id: str
    kind: str  # "op" | "leaf" | "constant"
    label: str
    shape: tuple | None
    source: object


@dataclasses.dataclass
class Edge:
    """``source`` (a node id) is input number ``slot`` of the op ``target``: values flow source -> target,
    gradients the other way."""

    source: str
    target: str
    slot: int


def walk(tensor, params=None, constants=False):
    """The nodes and edges of the graph that computed ``tensor``: ``(nodes, edges)``, the output first.

    ``params``: a dict name -> tensor (as ``dict(model.named_parameters())``) that names the leaves.
    ``constants``: also list the inputs that need no gradient (the ``2`` of ``2 * x``); they can be read only
    while the graph is alive (before ``backward`` frees it). The walk is breadth-first from the output, inputs in
    their order, so the same graph always gives the same ids.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"viz needs a backprop Tensor, got {type(tensor).__name__}")
    names = _names_of(params)
    nodes, edges, found = [], [], {}

    def node_of(source, kind, shape):
        node = found.get(id(source))
        if node is None:
            node = Node(f"n{len(nodes)}", kind, _label(source, kind, names), shape, source)
            found[id(source)] = node
            nodes.append(node)
            if kind == "op":
                queue.append(node)
        elif node.shape is None:
            node.shape = shape
        return node

    queue = collections.deque()
    if tensor.grad_fn is not None:
        node_of(tensor.grad_fn, "op", tuple(tensor.shape))
    else:
        node_of(tensor, "leaf" if tensor.requires_grad else "constant", tuple(tensor.shape))
    while queue:
        op = queue.popleft()
        fn = op.source
        inputs = fn.inputs  # None once a backward pass has freed the graph
        for slot, link in enumerate(fn._edges or ()):
            given = inputs[slot] if inputs is not None else None  # a custom Function may take non-tensors too
            shape = tuple(given.shape) if isinstance(given, Tensor) else None
            if link is None:  # an input that needs no gradient
                if not (constants and isinstance(given, Tensor)):
                    continue
                source = node_of(given, "constant", shape)
            elif isinstance(link[0], Function):
                source = node_of(link[0], "op", shape)
            else:
                source = node_of(link[0], "leaf", tuple(link[0].shape))
            edges.append(Edge(source.id, op.id, slot))
    return nodes, edges


def _names_of(params):
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict name -> tensor, got {type(params).__name__}")
    for name, value in params.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"params[{name!r}] must be a Tensor, got {type(value).__name__}")
    return {id(value): str(name) for name, value in params.items()}


def _label(source, kind, names):
    if kind == "op":
        return source.name()  # torch's node name, e.g. MulBackward0
    if id(source) in names:
        return names[id(source)]
    if kind == "constant" and source.numel() == 1:
        return f"{source.item():.4g}"
    return kind


def layout(tensor, params=None, constants=False):
    """The graph of ``tensor`` placed for drawing, as plain data (JSON-able).

    ``{"nodes": [{"id", "kind", "label", "shape", "layer", "x", "y", "width", "height"}], "edges": [{"from",
    "to", "points"}], "output": id, "width", "height"}``: x, y is a node's centre, in pixels; inputs on the
    left, the output on the right; every edge goes from a lower layer to a higher one, along ``points`` (from
    the right side of its source to the left side of its target, through a free slot of each layer between).
    """
    return arrange(*walk(tensor, params, constants))


def arrange(nodes, edges):
    """``layout`` of nodes and edges given by ``walk``."""
    ids = [node.id for node in nodes]
    layer = _layers(ids, *_neighbours(ids, [(edge.source, edge.target) for edge in edges]))
    paths = [_path(edge, layer) for edge in edges]
    waypoints = [name for path in paths for name in path[1:-1]]
    inputs_of, users_of = _neighbours(ids + waypoints, [link for path in paths for link in zip(path, path[1:])])
    rows = _order(ids + waypoints, layer, inputs_of, users_of)
    sizes = {node.id: _size(node) for node in nodes}
    sizes.update((name, (0.0, 0.0)) for name in waypoints)
    placed, columns = _place(rows, sizes)
    return {
        "nodes": [{"id": node.id, "kind": node.kind, "label": node.label,
                   "shape": None if node.shape is None else list(node.shape), "layer": layer[node.id],
                   "x": placed[node.id][0], "y": placed[node.id][1],
                   "width": sizes[node.id][0], "height": sizes[node.id][1]} for node in nodes],
        "edges": [{"from": edge.source, "to": edge.target, "points": _route(path, placed, sizes, columns, layer)}
                  for edge, path in zip(edges, paths)],
        "output": nodes[0].id,
        "width": max(x + sizes[name][0] / 2 for name, (x, _) in placed.items()) + MARGIN,
        "height": max(y + sizes[name][1] / 2 for name, (_, y) in placed.items()) + MARGIN,
    }


def _neighbours(ids, links):
    """{id: [its inputs]} and {id: [its users]} of the links (source, target)."""
    inputs_of, users_of = {name: [] for name in ids}, {name: [] for name in ids}
    for source, target in links:
        inputs_of[target].append(source)
        users_of[source].append(target)
    return inputs_of, users_of


def _path(edge, layer):
    """The edge as a chain of ids through one waypoint per layer it crosses (graphviz's virtual nodes): the
    waypoints take part in the ordering, so a long edge finds a free lane instead of running through nodes."""
    between = range(layer[edge.source] + 1, layer[edge.target])
    waypoints = [f"{edge.source}-{edge.target}.{edge.slot}.{k}" for k in between]
    layer.update(zip(waypoints, between))
    return [edge.source, *waypoints, edge.target]


def _layers(ids, inputs_of, users_of):
    """An op's layer is one more than its furthest input's (the longest path from the inputs); a node without
    inputs (a leaf, a constant) sits just left of its first user, so that it is drawn next to it."""
    layer = {}
    for name in _topological(ids, inputs_of, users_of):
        layer[name] = 1 + max((layer[i] for i in inputs_of[name]), default=-1)
    for name in ids:
        if not inputs_of[name]:
            users = users_of[name]
            layer[name] = min(layer[u] for u in users) - 1 if users else 0
    lowest = min(layer.values())
    return {name: value - lowest for name, value in layer.items()}


def _topological(ids, inputs_of, users_of):
    """The ids, each after all its inputs (Kahn's algorithm; ties by the walk's order)."""
    rank = {name: k for k, name in enumerate(ids)}
    waiting = {name: len(inputs_of[name]) for name in ids}
    ready = [(rank[name], name) for name in ids if waiting[name] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for user in users_of[name]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, (rank[user], user))
    return order


def _order(ids, layer, inputs_of, users_of):
    """The ids of each layer, top to bottom: first in the walk's order, then sorted by barycentre, sweeping
    right (by the inputs' positions) and left (by the users') in turn."""
    rows = [[] for _ in range(max(layer.values()) + 1)]
    for name in ids:
        rows[layer[name]].append(name)
    for sweep in range(SWEEPS):
        rightwards = sweep % 2 == 0
        neighbours = inputs_of if rightwards else users_of
        sequence = range(1, len(rows)) if rightwards else range(len(rows) - 2, -1, -1)
        for k in sequence:
            position = _positions(rows)
            rows[k] = sorted(rows[k], key=lambda name: (_barycentre(neighbours[name], position, name),
                                                        position[name]))
    return rows


def _barycentre(around, position, name):
    """The mean position of a node's neighbours (its own position when it has none on that side)."""
    if not around:
        return position[name]
    return sum(position[a] for a in around) / len(around)


def _positions(rows):
    """Each id's place in its layer, centred on 0 (layers of different lengths line up on their middles)."""
    return {name: k - (len(row) - 1) / 2 for row in rows for k, name in enumerate(row)}


def _place(rows, sizes):
    """Pixel centres, and the width of each column: one column per layer, as wide as its widest node; the
    rows of a layer centred vertically."""
    row_height = max(height for _, height in sizes.values()) + ROW_GAP
    tallest = max(len(row) for row in rows)
    placed, columns, left = {}, [], MARGIN
    for row in rows:
        column = max((sizes[name][0] for name in row), default=0)
        for name, offset in _positions([row]).items():
            placed[name] = (left + column / 2, MARGIN + ((tallest - 1) / 2 + offset + 0.5) * row_height)
        columns.append(column)
        left += column + COLUMN_GAP
    return placed, columns


def _route(path, placed, sizes, columns, layer):
    """The points an edge passes: the right side of its source, straight across the column of each waypoint,
    the left side of its target."""
    (x, y), width = placed[path[0]], sizes[path[0]][0]
    points = [[x + width / 2, y]]
    for name in path[1:-1]:
        (x, y), width = placed[name], columns[layer[name]]
        points += [[x - width / 2, y], [x + width / 2, y]]
    (x, y), width = placed[path[-1]], sizes[path[-1]][0]
    return points + [[x - width / 2, y]]


def _lines(node):
    """The text drawn in a node: its label, then its shape."""
    if node.shape is None:
        return [node.label]
    return [node.label, "(" + ", ".join(str(n) for n in node.shape) + ")"]


def _size(node):
    """Width and height of a node's box, or of its ellipse (wider: text fits an ellipse only near its middle)."""
    lines = _lines(node)
    width = CHAR_WIDTH * max(len(line) for line in lines) + 20
    if node.kind != "op":
        width *= 1.2
    return max(60.0, width), LINE_HEIGHT * len(lines) + 14.0


class SVG(str):
    """SVG text that Jupyter draws when it is the value of a cell."""

    def _repr_svg_(self):
        return str(self)


def graph(tensor, format="svg", params=None):  # noqa: A002  (make_dot's word)
    """The computational graph behind ``tensor``: SVG text (``format="svg"``, self-contained, drawn inline by
    Jupyter) or DOT text for graphviz (``format="dot"``). ``params`` names the leaves: a dict name -> tensor."""
    if format not in ("svg", "dot"):
        raise ValueError(f"format must be 'svg' or 'dot', got {format!r}")
    nodes, edges = walk(tensor, params)
    placed = arrange(nodes, edges)
    lines = {node.id: _lines(node) for node in nodes}
    return _svg(placed, lines) if format == "svg" else _dot(placed, lines)


def _svg(placed, lines):
    width, height = round(placed["width"]), round(placed["height"])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">',
           '<defs><marker id="bp-viz-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for edge in placed["edges"]:
        out.append(f'<path d="{_curve(edge["points"])}" fill="none" stroke="#555" '
                   'marker-end="url(#bp-viz-arrow)"/>')
    for node in placed["nodes"]:
        out.append(_svg_node(node, lines[node["id"]], node["id"] == placed["output"]))
    out.append("</svg>")
    return SVG("\n".join(out))


def _curve(points):
    """SVG path data through the points, each step an S-curve that leaves and arrives horizontally."""
    (x, y), steps = points[0], []
    for next_x, next_y in points[1:]:
        bend = (next_x - x) / 2
        steps.append(f"C{x + bend:.1f},{y:.1f} {next_x - bend:.1f},{next_y:.1f} {next_x:.1f},{next_y:.1f}")
        x, y = next_x, next_y
    return f"M{points[0][0]:.1f},{points[0][1]:.1f} " + " ".join(steps)


def _svg_node(node, lines, is_output):
    x, y, w, h = node["x"], node["y"], node["width"], node["height"]
    fill = COLOURS["output"] if is_output else COLOURS[node["kind"]]
    if node["kind"] == "op":
        shape = (f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="4" '
                 f'fill="{fill}" stroke="#333"/>')
    else:
        dashes = ' stroke-dasharray="4,3"' if node["kind"] == "constant" else ""
        shape = (f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" fill="{fill}" '
                 f'stroke="#333"{dashes}/>')
    top = y - LINE_HEIGHT * (len(lines) - 1) / 2 + 4  # the first baseline: the lines centred on y
    texts = [f'<text x="{x:.1f}" y="{top + k * LINE_HEIGHT:.1f}" text-anchor="middle">{escape(line)}</text>'
             for k, line in enumerate(lines)]
    return f'<g id={quoteattr("node-" + node["id"])}>{shape}{"".join(texts)}</g>'


def _dot(placed, lines):
    out = ["digraph {", "  rankdir=LR;", '  node [fontname="monospace", fontsize=12];']
    for node in placed["nodes"]:
        label = "\\n".join(_dot_escape(line) for line in lines[node["id"]])
        shape = "box" if node["kind"] == "op" else "ellipse"
        style = ", style=dashed" if node["kind"] == "constant" else ", style=filled"
        fill = COLOURS["output"] if node["id"] == placed["output"] else COLOURS[node["kind"]]
        out.append(f'  {node["id"]} [label="{label}", shape={shape}{style}, fillcolor="{fill}"];')
    for edge in placed["edges"]:
        out.append(f'  {edge["from"]} -> {edge["to"]};')
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')
