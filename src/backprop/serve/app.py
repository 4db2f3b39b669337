"""The studio's web app: a Starlette app (``create_app``) and the server that runs it (``open_socket``,
``run_server``), used by ``backprop serve``.

HTTP (every error is JSON ``{"error": "one line"}`` with status 400 or 404):

    GET  /                           the page (static/index.html); its tabs are #playground, #graph, #runs
    GET  /static/PATH                the page's files
    GET  /api/playground/options     datasets, features, activations, ..., caps and the default config
    POST /api/playground/export      a config -> {"code": the backprop program that trains it}
    WS   /ws/playground              one playground per socket (see playground_socket)
    POST /api/graph                  {"expression", "values"} or {"model"} -> the graph with values and gradients
    GET  /api/graph/models           {name: expression}
    GET  /api/runs                   {"root", "runs": [...]}: the runs under --runs
    GET  /api/runs/NAME              one run: settings, curves, report, figures, checkpoint shapes
    GET  /files/PATH                 a file under --runs (nothing outside it)

The playground and graph modules are imported when first used, so that the app starts even while one of them
is broken, and the other views still work.
"""
import asyncio
import errno
import ipaddress
import json
import math
import socket
from pathlib import Path
from urllib.parse import urlsplit

from backprop import checks
from backprop.serve import NEEDS_EXTRA

try:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import Headers
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles
    from starlette.websockets import WebSocketDisconnect
except ImportError as error:
    raise ImportError(NEEDS_EXTRA) from error

from backprop.serve import runs as run_files

__all__ = ["create_app", "open_socket", "listens_locally", "run_server"]

STATIC = Path(__file__).parent / "static"
MAX_BODY = 1 << 20          # bytes of a request body: configs and expressions are small
MAX_STEPS_PER_FRAME = 100   # what a play message may ask for: more would make one frame take seconds
FRAME_SECONDS = 1 / 30      # a playing socket sends at most 30 frames a second


def create_app(runs="runs", hosts=None):
    """The studio's app; ``runs`` is the directory whose runs the runs view lists (only files under it are
    served). ``hosts``: the host names a request may be addressed to (None: any); ``run_server`` gives this
    machine's names when it listens on this machine alone, so that a web page cannot reach the studio under a
    name of its own that resolves to 127.0.0.1 (DNS rebinding)."""
    routes = [
        Route("/", index),
        Mount("/static", _PageFiles(directory=STATIC, check_dir=False), name="static"),
        Route("/api/playground/options", playground_options),
        Route("/api/playground/export", playground_export, methods=["POST"]),
        WebSocketRoute("/ws/playground", playground_socket),
        Route("/api/graph", graph_view, methods=["POST"]),
        Route("/api/graph/models", graph_models),
        Route("/api/runs", runs_list),
        Route("/api/runs/{name:path}", run_view),
        Route("/files/{path:path}", run_file),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _error_response, Exception: _server_error},
                    middleware=[Middleware(_HostCheck, hosts=hosts)] if hosts is not None else [])
    app.state.runs = Path(runs)
    app.state.open_playgrounds = 0  # sockets whose loop still runs: a closed tab must bring it back down
    return app


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# the page's files are checked again on every load (a cheap 304 when unchanged): after an upgrade of backprop a
# browser must not keep running the old scripts against the new server
PAGE_HEADERS = {"Cache-Control": "no-cache"}


class _PageFiles(StaticFiles):
    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers.update(PAGE_HEADERS)
        return response


class _HostCheck:
    """Refuses a request (HTTP or websocket) whose Host header names none of ``hosts``."""

    def __init__(self, app, hosts):
        self.app, self.hosts = app, set(hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and _host_name(Headers(scope=scope).get("host")) not in self.hosts:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await JSONResponse({"error": "this host name is not served"}, status_code=400)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _host_name(address):
    """'localhost:8765' -> 'localhost', '[::1]:8765' -> '::1'; None for a missing or unreadable one."""
    try:
        return urlsplit(f"//{address}").hostname if address else None
    except ValueError:
        return None


# ---- errors and JSON ----

async def _error_response(request, error):
    return JSONResponse({"error": error.detail}, status_code=error.status_code)


async def _server_error(request, error):
    """A bug: one line to the client (the server's log keeps the traceback)."""
    return JSONResponse({"error": f"internal error: {_one_line(error)}"}, status_code=500)


def _one_line(error):
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _json_text(data):
    """JSON text of ``data``; a NaN or infinity (a diverged network's loss) becomes null, which a browser's
    JSON.parse accepts, where Python's NaN would make the whole message unreadable."""
    try:
        return json.dumps(data, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(data), allow_nan=False, separators=(",", ":"))


def _finite(data):
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    return data


def _json(data, status_code=200):
    return Response(_json_text(data), status_code=status_code, media_type="application/json")


async def _json_object(request):
    """The request's body as a JSON object; 400 with one line for anything else."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(400, f"the request body is larger than {MAX_BODY} bytes")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HTTPException(400, f"the request body must be JSON: {error}") from None
    if not isinstance(data, dict):
        raise HTTPException(400, f"the request body must be a JSON object, got {type(data).__name__}")
    return data


# ---- the page ----

async def index(request):
    page = STATIC / "index.html"
    if not page.is_file():
        raise HTTPException(404, f"the page is missing: {page}")
    return FileResponse(page, headers=PAGE_HEADERS)


# ---- playground ----

async def playground_options(request):
    from backprop.serve import playground

    return _json(playground.options())


async def playground_export(request):
    from backprop.serve import playground

    data = await _json_object(request)
    try:
        config = playground.parse_config(data)
    except (ValueError, TypeError) as error:
        raise HTTPException(400, str(error)) from None
    return _json({"code": playground.export_python(config)})


class _Session:
    """One socket's playground: the config it was built from, the network, whether it plays."""

    def __init__(self, playground):
        self.module = playground
        self.config = None
        self.playground = None
        self.playing = False
        self.steps_per_frame = 1

    def build(self, data):
        """A fresh playground from a config's JSON (ValueError/TypeError for a bad one: the old one stays)."""
        config = self.module.parse_config(data)
        self.playground = self.module.Playground(config)
        self.config = config
        return self.playground.frame()

    def reset(self):
        if self.config is None:
            return self.build(self.module.options()["defaults"])
        self.playground = self.module.Playground(self.config)
        return self.playground.frame()

    def advance(self, steps):
        """``steps`` training steps, then the frame; the first call builds the default playground."""
        if self.playground is None:
            self.reset()
        self.playground.step(steps)
        return self.playground.frame()


async def playground_socket(websocket):
    """One playground per socket. The client sends JSON messages: ``{"type": "config", "config": {...}}``
    (build anew, reply a frame), ``{"type": "play", "steps_per_frame": n}`` (n steps then a frame, again and
    again, at most 30 frames a second, until pause), ``{"type": "pause"}``, ``{"type": "step"}`` (one step,
    a frame), ``{"type": "reset"}`` (the same config from the start, a frame). The server sends
    ``{"type": "frame", ...}`` or ``{"type": "error", "message": str}``; after an error the socket stays open.
    A closed socket ends its loop at once."""
    from backprop.serve import playground

    origin = websocket.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != websocket.headers.get("host"):
        await websocket.close(code=1008)  # a page of another site: it may not drive this machine's playground
        return
    await websocket.accept()
    inbox = asyncio.Queue()
    reader = asyncio.create_task(_read_messages(websocket, inbox))
    websocket.app.state.open_playgrounds += 1
    try:
        await _play(websocket, _Session(playground), inbox)
    except WebSocketDisconnect:
        pass
    finally:
        reader.cancel()
        websocket.app.state.open_playgrounds -= 1


_CLOSED = object()  # what the reader puts in the inbox when the client has gone


async def _read_messages(websocket, inbox):
    """Move the client's messages into ``inbox`` as they come, so that a playing loop sees a pause between two
    frames without waiting for one."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            inbox.put_nowait(message.get("text") or message.get("bytes") or "")
    finally:
        inbox.put_nowait(_CLOSED)


async def _play(websocket, session, inbox):
    loop = asyncio.get_running_loop()
    due = loop.time()  # when a playing socket may send its next frame
    while True:
        wait = max(0.0, due - loop.time()) if session.playing else None
        message = await _next_message(inbox, wait)
        if message is _CLOSED:
            return
        if message is not None:
            reply = await _answer(session, message)
        else:  # playing, and the next frame is due
            due = loop.time() + FRAME_SECONDS
            reply = await _frame_or_error(session, session.steps_per_frame)
        if reply is not None:
            await websocket.send_text(_json_text(reply))


async def _next_message(inbox, wait):
    """The next message; None when ``wait`` seconds pass without one (None: wait as long as it takes)."""
    if wait is None:
        return await inbox.get()
    try:
        return await asyncio.wait_for(inbox.get(), wait) if wait > 0 else inbox.get_nowait()
    except (asyncio.TimeoutError, asyncio.QueueEmpty):
        return None


async def _answer(session, text):
    """The reply to one client message (None for play and pause, whose frames come from the loop)."""
    try:
        message = json.loads(text)
    except (ValueError, TypeError) as error:
        return _error(f"a message must be JSON: {error}")
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "config":
        return await _frame_or_error(session, None, config=message.get("config"))
    if kind == "play":
        try:
            session.steps_per_frame = checks.check_int("steps_per_frame", message.get("steps_per_frame", 1),
                                                       at_least=1, at_most=MAX_STEPS_PER_FRAME)
        except (ValueError, TypeError) as error:
            return _error(str(error))
        session.playing = True
        return None
    if kind == "pause":
        session.playing = False
        return None
    if kind == "step":
        return await _frame_or_error(session, 1)
    if kind == "reset":
        return await _frame_or_error(session, 0)
    return _error(f"a message's type must be one of config, play, pause, step, reset; got {kind!r}")


async def _frame_or_error(session, steps, config=None):
    """Build from ``config`` (when steps is None), reset (steps 0) or train ``steps`` steps, in a worker thread so
    that other tabs and requests go on meanwhile; the frame, or an error message (and the playing stops)."""
    try:
        if steps is None:
            frame = await run_in_threadpool(session.build, config)
        elif steps == 0:
            frame = await run_in_threadpool(session.reset)
        else:
            frame = await run_in_threadpool(session.advance, steps)
    except (ValueError, TypeError) as error:  # a bad config, in the playground's own words
        return _error(str(error))
    except Exception as error:  # noqa: BLE001  (a failing network must not close the tab's socket)
        session.playing = False
        return _error(_one_line(error))
    return {"type": "frame", **frame}


def _error(message):
    return {"type": "error", "message": message}


# ---- graph view ----

async def graph_view(request):
    from backprop.serve import graph

    data = await _json_object(request)
    unknown = sorted(set(data) - {"expression", "values", "model"})
    if unknown:
        raise HTTPException(400, f"unknown key {unknown[0]!r}: expected expression and values, or model")
    if "model" in data:
        if data["model"] not in graph.MODELS:
            raise HTTPException(400, f"unknown model {data['model']!r}; known: {', '.join(graph.MODELS)}")
        expression = graph.MODELS[data["model"]]
    else:
        expression = data.get("expression")
    values = data.get("values")
    if not isinstance(expression, str):
        raise HTTPException(400, f"expression must be a string, got {expression!r}")
    try:
        return _json(await run_in_threadpool(graph.graph_json, expression, values))
    except (ValueError, TypeError) as error:
        raise HTTPException(400, str(error)) from None


async def graph_models(request):
    from backprop.serve import graph

    return _json(dict(graph.MODELS))


# ---- runs ----

async def runs_list(request):
    root = request.app.state.runs
    return _json({"root": str(root), "runs": await run_in_threadpool(run_files.list_runs, root)})


async def run_view(request):
    name = request.path_params["name"]
    try:
        return _json(await run_in_threadpool(run_files.run_detail, request.app.state.runs, name))
    except (LookupError, ValueError):
        raise HTTPException(404, f"no run {name!r} under {request.app.state.runs}") from None


async def run_file(request):
    relative = request.path_params["path"]
    try:
        path = run_files.resolve(request.app.state.runs, relative)
    except ValueError:
        path = None
    if path is None or not path.is_file():
        raise HTTPException(404, f"no file {relative!r} under {request.app.state.runs}")
    # a figure is shown in the page; a file opened by itself runs no script (an SVG could hold one)
    return FileResponse(path, headers={"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"})


# ---- the server ----

def open_socket(host, port):
    """A socket listening on ``host``:``port`` (port 0: any free port); RuntimeError with one line when it cannot
    be had (the port in use, an unknown host)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise RuntimeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port left in TIME_WAIT is free again
        sock.bind(address)
        sock.listen()
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise RuntimeError(f"port {port} on {host} is in use (another backprop serve?); choose another with "
                               f"--port") from None
        raise RuntimeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return sock


def listens_locally(sock):
    """Whether ``sock`` listens on a loopback address (this machine alone can reach it)."""
    return ipaddress.ip_address(sock.getsockname()[0]).is_loopback


def run_server(sock, runs="runs"):
    """Serve the studio on ``sock`` until Ctrl-C (which ends it quietly: it is the way to stop it). On a loopback
    address it answers requests addressed to this machine's names alone (LOCAL_HOSTS and the address)."""
    try:
        import uvicorn
    except ImportError as error:
        raise ImportError(NEEDS_EXTRA) from error
    hosts = (*LOCAL_HOSTS, sock.getsockname()[0]) if listens_locally(sock) else None
    config = uvicorn.Config(create_app(runs, hosts), log_level="warning", lifespan="off",
                            timeout_graceful_shutdown=2)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
