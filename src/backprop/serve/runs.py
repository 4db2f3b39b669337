"""The runs under a directory (``backprop serve --runs``), read from the files the commands write.

Three kinds of run directory are recognised by their files:

- ``train``: ``backprop train`` writes history.json (one dict of metrics per epoch, rewritten after each epoch),
  checkpoint.safetensors (its settings and epoch in the metadata), test.json, report.md and figures at the end;
- ``rl``: ``backprop rl train`` writes checkpoint.safetensors every 100 episodes (the returns so far in its
  metadata), and returns.json and returns.png at the end (``"interrupted": true`` after Ctrl-C);
- ``experiment``: ``backprop reproduce`` writes NAME/report.md and NAME/results.json (the verdict) at the end.

A run's status: ``finished`` (its last files are written), ``running`` (not finished, and a file changed in the
last RUNNING_SECONDS: no command leaves another mark of a run in progress), ``failed`` (stopped before its end:
interrupted, or it failed), ``unknown`` (its files cannot be read). Nothing here writes, and nothing outside the
root is read: ``resolve`` refuses every way out of it.
"""
import json
import os
import posixpath
import time
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from backprop.files import files_of
from backprop.serve import NEEDS_EXTRA
from backprop.train.trainer import CHECKPOINT

try:
    from markdown_it import MarkdownIt
except ImportError as error:
    raise ImportError(NEEDS_EXTRA) from error

__all__ = ["list_runs", "run_detail", "resolve", "RUNNING_SECONDS"]

RUNNING_SECONDS = 300   # an unfinished run whose files changed this recently is taken to be still running
MAX_DEPTH = 4           # how deep under the root runs are looked for (runs/reproduce/NAME is 2 deep)
FIGURES = (".png", ".svg", ".jpg", ".jpeg", ".gif")


def resolve(root, relative):
    """The path of ``relative`` (a '/'-separated path, as a URL gives it) under ``root``; ValueError for anything
    that would leave the root: '..', an absolute path, a NUL byte, a symbolic link pointing outside."""
    if not isinstance(relative, str) or "\0" in relative:
        raise ValueError(f"not a path under the runs directory: {relative!r}")
    parts = PurePosixPath(relative)
    if parts.is_absolute() or relative.startswith("\\") or ".." in parts.parts or "\\" in relative:
        raise ValueError(f"not a path under the runs directory: {relative!r}")
    base = Path(root).resolve()
    path = (base / relative).resolve()  # symbolic links followed: where the file really is
    if path != base and base not in path.parents:
        raise ValueError(f"not a path under the runs directory: {relative!r}")
    return path


def list_runs(root):
    """Every run under ``root``, newest first: ``{"name", "kind", "modified", "status", "summary"}``."""
    runs = []
    for directory, kind in _run_directories(Path(root)):
        run = _read_run(Path(root), directory, kind)
        runs.append({key: run[key] for key in ("name", "kind", "modified", "status", "summary")})
    return sorted(runs, key=lambda run: (-run["modified"], run["name"]))


def run_detail(root, name):
    """One run: ``{"name", "kind", "status", "modified", "settings", "curves", "x", "report_html", "figures",
    "checkpoint", "verdicts"}``; LookupError when ``name`` is no run under ``root`` (ValueError for a path out of
    it)."""
    directory = resolve(root, name.strip("/"))
    kind = _kind(directory) if directory != Path(root).resolve() and directory.is_dir() else None
    if kind is None:
        raise LookupError(f"no run {name!r} under {root}")
    run = _read_run(Path(root), directory, kind)
    del run["summary"]
    run["report_html"] = _report_html(directory, run["name"])
    run["figures"] = [_file_url(run["name"], file.name) for file in sorted(directory.iterdir())
                      if file.suffix.lower() in FIGURES and file.is_file() and not file.name.startswith(".")]
    run["checkpoint"] = _checkpoint_tensors(directory)
    return run


def _run_directories(root):
    """(directory, kind) of the directories under ``root`` (not itself) that hold a run; a run's own subdirectories
    are not searched."""
    found = []
    base = root.resolve()
    for directory, subdirectories, _ in os.walk(base):
        here = Path(directory)
        depth = len(here.relative_to(base).parts)
        kind = _kind(here) if depth else None
        if kind is not None:
            found.append((here, kind))
            subdirectories.clear()
        elif depth >= MAX_DEPTH:
            subdirectories.clear()
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
    return found


def _kind(directory):
    """Which command wrote the run in ``directory`` (train, rl, experiment), or None for no run."""
    if (directory / "results.json").is_file() and (directory / "report.md").is_file():
        return "experiment"
    if (directory / "returns.json").is_file():
        return "rl"
    if (directory / "history.json").is_file():
        return "train"
    if (directory / CHECKPOINT).is_file():
        return "rl" if "agent" in (_checkpoint_state(directory) or {}) else "train"
    return None


def _read_run(root, directory, kind):
    """What list_runs and run_detail both show of the run of ``kind`` in ``directory``: its name, kind, status,
    settings, summary, curves."""
    reader = {"train": _train_run, "rl": _rl_run, "experiment": _experiment_run}[kind]
    run = {"name": directory.relative_to(root.resolve()).as_posix(), "kind": kind, "modified": _modified(directory),
           "settings": {}, "summary": {}, "curves": {}, "x": None, "verdicts": [], "status": "unknown"}
    run.update(reader(directory))
    return run


def _unfinished(directory, names):
    """The status of a run that has not written its last files: running when one of the files ``names`` (those
    it rewrites while it trains) changed in the last RUNNING_SECONDS, else failed."""
    written = _modified(directory, only=names)
    return "running" if time.time() - written < RUNNING_SECONDS else "failed"


# ---- each kind's files ----

def _train_run(directory):
    state = _checkpoint_state(directory) or {}
    config = state.get("config") or {}
    history = _read_json(directory / "history.json")
    if not isinstance(history, list):
        history = state.get("history") or []
    test = _read_json(directory / "test.json") or {}
    epochs_done = len(history)
    summary = {"model": config.get("model"), "dataset": config.get("dataset"),
               "epochs": f"{epochs_done}/{config.get('epochs', '?')}"}
    if "test_accuracy" in test:
        summary["test_accuracy"] = test["test_accuracy"]
    # the report comes last; one older than the history is a resumed run's, and the run goes on (files written
    # later by other commands, `backprop attack`'s images, do not count)
    training = ("history.json", CHECKPOINT)
    report = directory / "report.md"
    if report.is_file() and report.stat().st_mtime >= _modified(directory, only=training) - 1:
        status = "finished"
    else:
        status = _unfinished(directory, training) if history or state else "unknown"
    return {"settings": {**config, **{key: test[key] for key in ("test_loss", "test_accuracy") if key in test}},
            "summary": summary, "status": status, "x": "epoch", "curves": _columns(history, "epoch")}


def _rl_run(directory):
    saved = _read_json(directory / "returns.json")
    if isinstance(saved, dict):
        settings = {key: value for key, value in saved.items() if key not in ("returns", "moving_average")}
        curves = {"return": saved.get("returns") or [], "moving_average": saved.get("moving_average") or []}
        status = "failed" if saved.get("interrupted") else "finished"
    else:  # still training: the returns of the last checkpoint
        state = _checkpoint_state(directory) or {}
        settings = {key: state[key] for key in ("agent", "env", "env_options", "seed", "config") if key in state}
        curves = {"return": state.get("returns") or []}
        status = _unfinished(directory, (CHECKPOINT,)) if state else "unknown"
    curves["episode"] = list(range(1, len(curves["return"]) + 1))
    summary = {"agent": settings.get("agent"), "env": settings.get("env"), "episodes": len(curves["return"])}
    if settings.get("last_100_mean") is not None:
        summary["last_100_mean"] = settings["last_100_mean"]
    return {"settings": settings, "summary": summary, "status": status, "x": "episode", "curves": curves}


def _experiment_run(directory):
    results = _read_json(directory / "results.json")
    if not isinstance(results, dict):
        return {"status": "unknown"}
    verdict = {"name": results.get("name", directory.name), "reproduced": results.get("reproduced"),
               "summary": results.get("summary")}
    settings = {key: results[key] for key in ("name", "quick", "seconds") if key in results}
    return {"settings": {**settings, "results": results.get("results", {})}, "status": "finished",
            "summary": {"title": _title(directory / "report.md"), "reproduced": results.get("reproduced")},
            "verdicts": [verdict]}


# ---- reading files ----

def _read_json(path):
    """The JSON in ``path``, or None when it is missing or cannot be read (a run may be writing it now)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _columns(rows, x):
    """[{x: 1, "loss": 0.5, ...}, ...] -> {x: [1, ...], "loss": [0.5, ...], ...} for the numeric keys (a value
    missing from a row is None, so that every column is as long as ``x``'s)."""
    names = [key for row in rows for key, value in row.items() if isinstance(value, (int, float))]
    names = list(dict.fromkeys([x] + names))
    return {name: [row.get(name) for row in rows] for name in names} if rows else {}


def _modified(directory, only=None):
    """The newest modification time of the files in ``directory`` (of the files named ``only``; the directory's
    own when there is none)."""
    names = files_of(directory, patterns=("*",)) if only is None else files_of(directory, only)
    times = [(directory / name).stat().st_mtime for name in names]
    return max(times, default=directory.stat().st_mtime)


def _title(report):
    try:
        first = report.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    return first.lstrip("# ").strip() if first.startswith("#") else None


def _checkpoint_state(directory):
    """The checkpoint's values other than tensors (settings, epoch, history, returns), read from the file's
    metadata only; None when there is no checkpoint or it cannot be read."""
    handle = _open_checkpoint(directory)
    if handle is None:
        return None
    with handle:
        text = (handle.metadata() or {}).get("backprop")
    try:
        state = json.loads(text) if text else None
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def _checkpoint_tensors(directory):
    """[{"name", "shape"}] of the checkpoint's tensors (the header alone is read, not the weights)."""
    handle = _open_checkpoint(directory)
    if handle is None:
        return []
    with handle:
        return [{"name": key, "shape": list(handle.get_slice(key).get_shape())} for key in handle.keys()]


def _open_checkpoint(directory):
    from safetensors import safe_open

    path = directory / CHECKPOINT
    if not path.is_file():
        return None
    try:
        return safe_open(str(path), framework="numpy")
    except Exception:  # noqa: BLE001  (safetensors' own error for a truncated or foreign file)
        return None


# ---- the report ----

def _report_html(directory, name):
    """report.md as HTML (raw HTML in it is shown as text, not run); its relative images and links point at
    /files/RUN/...; None when the run has no report."""
    try:
        text = (directory / "report.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = markdown.parse(text)
    for token in tokens:
        for child in token.children or ():
            for attribute in ("src", "href"):
                target = child.attrGet(attribute)
                if target is not None:
                    child.attrSet(attribute, _rewritten(target, name))
    return markdown.renderer.render(tokens, markdown.options, {})


def _rewritten(target, name):
    """A relative link of the report in run ``name`` as a /files/ URL; other links as they are; one that leaves
    the run's directory upwards out of the root as '#'."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith(("/", "#")):
        return target
    path = posixpath.normpath(posixpath.join(name, unquote(parts.path)))
    if path == ".." or path.startswith("../"):
        return "#"
    return _file_url(path) + (f"#{parts.fragment}" if parts.fragment else "")


def _file_url(*parts):
    return "/files/" + quote("/".join(parts))
