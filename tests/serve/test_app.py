"""The studio's HTTP API and playground websocket (backprop.serve.app) through Starlette's test client, and the
`backprop serve` command in a real server.

The websocket's loop is tested with a stand-in playground (counts its steps, builds instantly), so that what is
tested is the loop: replies, play and pause, the frame-rate cap, errors that keep the socket open, sockets that
do not share a playground, a closed socket that ends its loop. One test runs the real playground through it.
"""
import importlib
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import types

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

import backprop.serve  # noqa: E402
from backprop.cli import main  # noqa: E402
from backprop.experiments import Report  # noqa: E402
from backprop.serve import app as studio  # noqa: E402


@pytest.fixture
def runs(tmp_path):
    """runs/ with one experiment's report (written by the experiments' own Report) and a file outside runs/ that
    nothing may serve."""
    root = tmp_path / "runs"
    report = Report("demo", "A demonstration", "1 + 1 = 2.", str(root / "reproduce" / "demo"))
    report.setup("Add one and one.")
    report.text("![the sum](sum.png)")
    report.verdict(True, "the sum is 2, as claimed")
    report.write()
    (root / "reproduce" / "demo" / "sum.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "secret.txt").write_text("outside")
    return root


@pytest.fixture
def client(runs):
    with TestClient(studio.create_app(str(runs))) as client:
        yield client


def _one_line_error(response, status):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error, str) and error and "\n" not in error and "Traceback" not in error
    return error


# ---------------------------------------------------------------------------------------------------- the page
def test_the_page_and_its_files(monkeypatch, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>studio</title>")
    (static / "studio.js").write_text("let x = 1;")
    monkeypatch.setattr(studio, "STATIC", static)
    client = TestClient(studio.create_app(str(tmp_path)))
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "studio" in page.text
    script = client.get("/static/studio.js")
    assert script.status_code == 200 and script.text == "let x = 1;"
    assert client.get("/static/missing.js").status_code == 404


def test_the_page_is_checked_again_on_every_load_after_an_upgrade(client):
    for path in ("/", "/static/studio.js"):
        assert client.get(path).headers["cache-control"] == "no-cache", path
    script = client.get("/static/studio.js")
    again = client.get("/static/studio.js", headers={"if-none-match": script.headers["etag"]})
    assert again.status_code == 304  # unchanged: the browser keeps its copy at the cost of one request


def test_the_shipped_page_is_served(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_unknown_routes_and_methods_are_json_errors(client):
    _one_line_error(client.get("/api/nothing"), 404)
    assert client.get("/api/playground/export").status_code == 405
    assert "error" in client.get("/api/playground/export").json()


def test_a_local_server_answers_its_own_names_alone(runs, stand_in):
    app = studio.create_app(str(runs), hosts=studio.LOCAL_HOSTS)
    for base in ("http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"):
        assert TestClient(app, base_url=base).get("/api/runs").status_code == 200
    other = TestClient(app, base_url="http://rebound.example:8765")  # a page's own name resolving to 127.0.0.1
    assert _one_line_error(other.get("/api/runs"), 400) == "this host name is not served"
    with pytest.raises(WebSocketDisconnect):
        with other.websocket_connect("/ws/playground") as ws:
            ws.send_json({"type": "step"})
            ws.receive_json()  # a frame, were the socket accepted


def test_a_page_of_another_site_cannot_open_the_playground(client, stand_in):
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws/playground", headers={"origin": "http://evil.example"}) as ws:
            ws.send_json({"type": "step"})
            ws.receive_json()  # a frame, were the socket accepted
    with client.websocket_connect("/ws/playground", headers={"origin": "http://testserver"}) as ws:
        ws.send_json({"type": "step"})
        assert ws.receive_json()["step"] == 1


# ------------------------------------------------------------------------------------------- playground (HTTP)
def test_playground_options_are_the_modules():
    from backprop.serve import playground

    client = TestClient(studio.create_app())
    assert client.get("/api/playground/options").json() == json.loads(json.dumps(playground.options()))


def test_export_gives_the_program_of_a_config(client):
    from backprop.serve import playground

    config = {"dataset": "circle", "hidden": [3], "seed": 2}
    response = client.post("/api/playground/export", json=config)
    assert response.status_code == 200
    assert response.json() == {"code": playground.export_python(playground.parse_config(config))}


@pytest.mark.parametrize("config", [{"hidden": [9]}, {"hidden": [2] * 7}, {"points": 10 ** 6}, {"bogus": 1},
                                    {"learning_rate": "fast"}, {"dataset": "moons"}])
def test_a_bad_or_capped_config_reaches_the_client_as_its_message(client, config):
    from backprop.serve import playground

    with pytest.raises((ValueError, TypeError)) as expected:
        playground.parse_config(config)
    assert _one_line_error(client.post("/api/playground/export", json=config), 400) == str(expected.value)


@pytest.mark.parametrize("body, words", [(b"{not json", "must be JSON"), (b"[1, 2]", "a JSON object"),
                                         (b"\xff\xfe", "must be JSON"), (b"", "must be JSON"),
                                         (b" " * (studio.MAX_BODY + 1), "larger than")])
def test_a_bad_body_is_a_400(client, body, words):
    assert words in _one_line_error(client.post("/api/playground/export", content=body), 400)
    assert words in _one_line_error(client.post("/api/graph", content=body), 400)


# ----------------------------------------------------------------------------------------------------- graph
def test_graph_of_an_expression_and_of_a_model(client):
    from backprop.serve import graph

    body = {"expression": "tanh(w*x + b)", "values": {"w": 0.5, "x": -1.5, "b": 0.25}}
    response = client.post("/api/graph", json=body)
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(graph.graph_json(body["expression"], body["values"])))
    model = client.post("/api/graph", json={"model": "neuron"}).json()
    assert model["expression"] == graph.MODELS["neuron"]
    assert client.get("/api/graph/models").json() == dict(graph.MODELS)


def test_the_gradient_of_w_is_torchs():
    torch = pytest.importorskip("torch")
    w, x, b = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.5, -1.5, 0.25))
    torch.tanh(w * x + b).backward()
    client = TestClient(studio.create_app())
    nodes = client.post("/api/graph", json={"expression": "tanh(w*x + b)",
                                            "values": {"w": 0.5, "x": -1.5, "b": 0.25}}).json()["nodes"]
    grads = {node["name"]: node["grad"] for node in nodes if node.get("name")}
    assert grads["w"] == pytest.approx(w.grad.item(), rel=1e-6)
    assert grads["b"] == pytest.approx(b.grad.item(), rel=1e-6)


@pytest.mark.parametrize("body", [{"expression": "w +"}, {"expression": "x" * 201}, {"expression": "__import__('os')"},
                                  {"expression": "+".join(["x"] * 60)}, {"expression": 3}, {"model": "nope"},
                                  {"expression": "w", "values": [1]}, {"expression": "w", "colour": "red"},
                                  {"expression": "sum(w)", "values": {"w": list(range(65))}}])
def test_a_bad_or_capped_expression_is_a_400(client, body):
    from backprop.serve import graph

    error = _one_line_error(client.post("/api/graph", json=body), 400)
    if isinstance(body.get("expression"), str) and set(body) <= {"expression", "values"}:
        with pytest.raises(ValueError) as expected:
            graph.graph_json(body["expression"], body.get("values"))
        assert error == str(expected.value)


# ------------------------------------------------------------------------------------------------------ runs
def test_runs_list_and_one_run(client, runs):
    listing = client.get("/api/runs").json()
    assert listing["root"] == str(runs)
    assert [(run["name"], run["kind"], run["status"]) for run in listing["runs"]] == \
        [("reproduce/demo", "experiment", "finished")]
    run = client.get("/api/runs/reproduce/demo").json()
    assert run["verdicts"] == [{"name": "demo", "reproduced": True, "summary": "the sum is 2, as claimed"}]
    assert '<img src="/files/reproduce/demo/sum.png"' in run["report_html"]
    assert run["figures"] == ["/files/reproduce/demo/sum.png"]
    figure = client.get(run["figures"][0])
    assert figure.status_code == 200 and figure.content == b"\x89PNG not really"
    assert figure.headers["content-security-policy"] == "sandbox"


def test_a_diverged_runs_nan_loss_arrives_as_null(client, runs):
    """The Trainer writes history.json with Python's json, NaN and Infinity included; the browser's JSON.parse
    reads neither, so they come as null."""
    (runs / "diverged").mkdir()
    (runs / "diverged" / "history.json").write_text('[{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": NaN}, '
                                                     '{"epoch": 3, "loss": Infinity}]')
    response = client.get("/api/runs/diverged")
    assert response.status_code == 200 and "NaN" not in response.text and "Infinity" not in response.text
    assert response.json()["curves"] == {"epoch": [1, 2, 3], "loss": [0.5, None, None]}
    assert "diverged" in [run["name"] for run in client.get("/api/runs").json()["runs"]]


@pytest.mark.parametrize("name", ["nope", "reproduce", "reproduce/demo/report.md"])
def test_an_unknown_run_is_a_404(client, name):
    _one_line_error(client.get(f"/api/runs/{name}"), 404)


TRAVERSALS = ["%2e%2e/secret.txt", "..%2fsecret.txt", "reproduce/..%2F..%2Fsecret.txt", "%2e%2e%2fsecret.txt",
              "%252e%252e/secret.txt", "/{outside}/secret.txt", "%2F{outside}%2Fsecret.txt", "out/secret.txt",
              "reproduce/demo/%00", "..\\secret.txt"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_file_outside_runs_is_served(client, runs, path):
    (runs / "out").symlink_to(runs.parent)  # a link inside runs/ to the directory above it
    path = path.replace("{outside}", str(runs.parent).strip("/"))
    response = client.get(f"/files/{path}")
    _one_line_error(response, 404)
    assert "outside" not in response.text.replace(str(runs.parent), "")
    _one_line_error(client.get(f"/api/runs/{path}"), 404)


def test_a_link_inside_runs_is_followed(client, runs):
    (runs / "alias").symlink_to(runs / "reproduce")
    assert client.get("/files/alias/demo/sum.png").status_code == 200


# -------------------------------------------------------------------------------------------- the websocket
class StandIn:
    """What the loop needs of backprop.serve.playground, built instantly; every Playground made is kept."""

    made = []

    class Playground:
        def __init__(self, config):
            self.config, self.steps = config, 0
            StandIn.made.append(self)

        def step(self, n=1):
            self.steps += n

        def frame(self):
            return {"step": self.steps, "seed": self.config["seed"], "loss": self.config.get("loss", 0.5)}

    @staticmethod
    def parse_config(data):
        if not isinstance(data, dict) or set(data) - {"seed", "loss"}:
            raise ValueError(f"expected a config of seed, got {data!r}")
        return {"seed": 0, **data}

    @staticmethod
    def options():
        return {"defaults": {"seed": 0}}


@pytest.fixture
def stand_in(monkeypatch):
    module = types.ModuleType("backprop.serve.playground")
    for name in ("Playground", "parse_config", "options"):
        setattr(module, name, getattr(StandIn, name))
    monkeypatch.setitem(sys.modules, "backprop.serve.playground", module)
    monkeypatch.setattr(backprop.serve, "playground", module, raising=False)
    StandIn.made = []
    return StandIn


def _frames_until(socket_, predicate):
    while True:
        message = socket_.receive_json()
        assert message["type"] == "frame", message
        if predicate(message):
            return message


def test_config_step_and_reset(client, stand_in):
    with client.websocket_connect("/ws/playground") as ws:
        ws.send_json({"type": "config", "config": {"seed": 3}})
        assert ws.receive_json() == {"type": "frame", "step": 0, "seed": 3, "loss": 0.5}
        ws.send_json({"type": "step"})
        assert ws.receive_json()["step"] == 1
        ws.send_json({"type": "step"})
        assert ws.receive_json()["step"] == 2
        ws.send_json({"type": "reset"})
        assert ws.receive_json() == {"type": "frame", "step": 0, "seed": 3, "loss": 0.5}
        assert len(stand_in.made) == 2  # reset built a fresh one from the same config


def test_a_step_before_any_config_uses_the_defaults(client, stand_in):
    with client.websocket_connect("/ws/playground") as ws:
        ws.send_json({"type": "step"})
        assert ws.receive_json() == {"type": "frame", "step": 1, "seed": 0, "loss": 0.5}


def test_play_sends_frames_until_pause(client, stand_in):
    with client.websocket_connect("/ws/playground") as ws:
        ws.send_json({"type": "config", "config": {"seed": 1}})
        ws.receive_json()
        started = time.monotonic()
        ws.send_json({"type": "play", "steps_per_frame": 5})
        steps = [ws.receive_json()["step"] for _ in range(6)]
        elapsed = time.monotonic() - started
        assert steps == [5, 10, 15, 20, 25, 30]
        assert elapsed >= 5 * studio.FRAME_SECONDS * 0.9  # at most 30 frames a second
        ws.send_json({"type": "pause"})
        ws.send_json({"type": "reset"})
        _frames_until(ws, lambda frame: frame["step"] == 0)  # frames sent before the pause arrived come first
        ws.send_json({"type": "step"})
        assert ws.receive_json()["step"] == 1  # and no frame of the play loop after the pause
        assert stand_in.made[-1].steps == 1


@pytest.mark.parametrize("message, words", [
    ({"type": "config", "config": {"bogus": 1}}, "expected a config"),
    ({"type": "config"}, "expected a config"),
    ({"type": "fly"}, "type must be one of"),
    ({"kind": "step"}, "type must be one of"),
    ([1, 2], "type must be one of"),
    ({"type": "play", "steps_per_frame": 0}, "steps_per_frame"),
    ({"type": "play", "steps_per_frame": 10 ** 6}, "steps_per_frame"),
    ({"type": "play", "steps_per_frame": "5"}, "steps_per_frame"),
    ("{not json", "must be JSON"),
])
def test_a_bad_message_is_an_error_and_the_socket_stays_usable(client, stand_in, message, words):
    with client.websocket_connect("/ws/playground") as ws:
        ws.send_json({"type": "config", "config": {"seed": 7}})
        ws.receive_json()
        ws.send_text(message) if isinstance(message, str) else ws.send_json(message)
        error = ws.receive_json()
        assert error["type"] == "error" and words in error["message"] and "\n" not in error["message"]
        ws.send_json({"type": "step"})
        assert ws.receive_json() == {"type": "frame", "step": 1, "seed": 7, "loss": 0.5}  # the old config stays


def test_a_failing_network_stops_playing_with_an_error(client, stand_in, monkeypatch):
    def fail(self, n=1):
        raise FloatingPointError("overflow in the weights")

    with client.websocket_connect("/ws/playground") as ws:
        ws.send_json({"type": "config", "config": {"seed": 1}})
        ws.receive_json()
        monkeypatch.setattr(stand_in.Playground, "step", fail)
        ws.send_json({"type": "play"})
        assert ws.receive_json() == {"type": "error", "message": "FloatingPointError: overflow in the weights"}
        ws.send_json({"type": "reset"})
        assert ws.receive_json()["step"] == 0  # not playing any more: the next message is the reset's frame


def test_a_frame_with_nan_arrives_as_null(client, stand_in):
    with client.websocket_connect("/ws/playground") as ws:
        ws.send_json({"type": "config", "config": {"loss": 1.0}})
        ws.receive_json()
        stand_in.made[-1].config["loss"] = math.nan
        ws.send_json({"type": "step"})
        assert json.loads(ws.receive_text())["loss"] is None


def test_two_sockets_do_not_share_a_playground(client, stand_in):
    with client.websocket_connect("/ws/playground") as first, client.websocket_connect("/ws/playground") as second:
        first.send_json({"type": "config", "config": {"seed": 1}})
        first.receive_json()
        for _ in range(3):
            first.send_json({"type": "step"})
            first.receive_json()
        second.send_json({"type": "config", "config": {"seed": 2}})
        assert second.receive_json()["seed"] == 2
        second.send_json({"type": "play"})
        _frames_until(second, lambda frame: frame["step"] >= 3)
        first.send_json({"type": "step"})
        assert first.receive_json() == {"type": "frame", "step": 4, "seed": 1, "loss": 0.5}


def test_closing_a_playing_socket_ends_its_loop(client, stand_in):
    app = client.app
    with client.websocket_connect("/ws/playground") as ws:
        ws.send_json({"type": "play"})
        _frames_until(ws, lambda frame: frame["step"] >= 2)
        assert app.state.open_playgrounds == 1
    deadline = time.monotonic() + 5
    while app.state.open_playgrounds and time.monotonic() < deadline:
        time.sleep(0.01)
    assert app.state.open_playgrounds == 0
    steps = stand_in.made[-1].steps
    time.sleep(5 * studio.FRAME_SECONDS)
    assert stand_in.made[-1].steps == steps  # no step after the close


def test_the_real_playground_through_the_socket(client):
    from backprop.serve import playground

    config = {"dataset": "xor", "hidden": [4, 2], "points": 100, "resolution": 10, "seed": 1}
    with client.websocket_connect("/ws/playground") as ws:
        ws.send_json({"type": "config", "config": config})
        first = ws.receive_json()
        ws.send_json({"type": "step"})
        after = ws.receive_json()
    assert first["type"] == after["type"] == "frame" and (first["step"], after["step"]) == (0, 1)
    expected = playground.Playground(playground.parse_config(config))
    assert first["train_loss"] == pytest.approx(expected.frame()["train_loss"])
    expected.step(1)
    assert after["test_loss"] == pytest.approx(expected.frame()["test_loss"])


# ----------------------------------------------------------------------------------------- `backprop serve`
def _serve(*options, cwd):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1"}
    env.pop("BACKPROP_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "backprop", "serve", "--port", "0", *options], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_command_serves_until_ctrl_c(runs, tmp_path):
    import httpx

    server = _serve("--runs", str(runs), cwd=tmp_path)
    try:
        line = server.stdout.readline()
        found = re.fullmatch(r"backprop studio at (http://127\.0\.0\.1:(\d+)/) \(Ctrl-C stops it\)\n", line)
        assert found, line
        url = found.group(1)
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        options = httpx.get(url + "api/playground/options", timeout=10).json()
        assert options["defaults"]["dataset"] in options["datasets"]
        assert httpx.get(url + "api/runs", timeout=10).json()["runs"][0]["name"] == "reproduce/demo"
        assert httpx.get(url + "api/runs", headers={"host": "rebound.example"}, timeout=10).status_code == 400
        _play_until_stopped(server, int(found.group(2)))  # Ctrl-C while a tab plays
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
    assert server.returncode == 0 and out == "" and err == ""


def _play_until_stopped(server, port):
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/ws/playground", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "config", "config": {"points": 50, "resolution": 10}}))
        frame = json.loads(ws.recv(timeout=10))
        assert frame["type"] == "frame" and frame["step"] == 0 and frame["resolution"] == 10
        ws.send(json.dumps({"type": "play"}))
        assert json.loads(ws.recv(timeout=10))["step"] == 1
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


def test_a_port_in_use_is_one_line(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"backprop: error: port {port} on 127.0.0.1 is in use (another backprop serve?); " \
                           f"choose another with --port\n"


def test_another_host_than_this_machine_warns(monkeypatch, capsys):
    served = []
    monkeypatch.setattr(studio, "run_server", lambda sock, runs: served.append((sock.getsockname(), runs)))
    assert main(["serve", "--host", "0.0.0.0", "--port", "0", "--runs", "elsewhere"]) == 0
    captured = capsys.readouterr()
    [(address, runs)] = served
    assert runs == "elsewhere" and address[0] == "0.0.0.0"
    assert captured.err.startswith("backprop serve: warning: listening on 0.0.0.0") and captured.err.count("\n") == 1
    assert captured.out == f"backprop studio at http://0.0.0.0:{address[1]}/ (Ctrl-C stops it)\n"


@pytest.mark.parametrize("argv", [["--port", "70000"], ["--port", "x"], ["--host", ""], ["--bogus"]])
def test_a_bad_option_is_a_usage_error(argv, capsys):
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("backprop") and err.count("\n") == 1 and "Traceback" not in err


def test_without_the_serve_extra_the_command_names_it(monkeypatch, capsys):
    for name in [name for name in sys.modules if name.split(".")[0] == "starlette"] + ["starlette"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "backprop.serve.app")
    monkeypatch.delattr(backprop.serve, "app")
    monkeypatch.delenv("BACKPROP_DEBUG", raising=False)
    with pytest.raises(ImportError):  # first, so that a server never starts here
        importlib.import_module("backprop.serve.app")
    assert main(["serve", "--port", "0"]) == 1
    assert capsys.readouterr().err == ("backprop: error: backprop serve needs the serve extra: "
                                       "pip install 'backprop[serve]'\n")
