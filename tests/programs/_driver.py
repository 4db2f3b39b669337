"""Run many PyTorch programs in ONE interpreter, under real torch or under backprop's import hook.

    python _driver.py --framework torch|backprop JOBS.json RESULTS.json

JOBS.json is a list of {"name", "path", "args", "cwd", "timeout"}. Each program runs as
``python PROGRAM.py ARGS`` would run it: ``runpy.run_path(path, run_name="__main__")`` with ``sys.argv``
set and the working directory ``cwd``; its stdout and stderr are captured, ``SystemExit`` gives its exit
code, any other exception its traceback. With ``--framework backprop``, ``backprop.compat.install()`` runs
first, as ``backprop run`` does, so ``import torch`` resolves to backprop. Global state a program may change
(the seed, the default dtype, grad mode) is reset before each program. RESULTS.json gets, per program:
stdout, stderr, exit code, error (the exception's last line) and traceback, seconds, and (backprop) the names
``backprop run --list-missing`` reports.
"""
import contextlib
import io
import json
import os
import runpy
import signal
import sys
import time
import traceback


class ProgramTimeout(Exception):
    """A program ran longer than its job's timeout."""


def _alarm(signum, frame):
    raise ProgramTimeout("the program ran past its timeout")


def _reset():
    """Fresh global state for the next program, as a fresh interpreter would have it."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    for reset in (lambda: torch.manual_seed(0), lambda: torch.set_default_dtype(torch.float32),
                  lambda: torch.set_grad_enabled(True)):
        with contextlib.suppress(Exception):
            reset()


def _forget_local_modules(before):
    """Modules a program imported from its own folder would leak into the next one: drop them."""
    for name in set(sys.modules) - before:
        path = getattr(sys.modules[name], "__file__", None) or ""
        if os.path.dirname(path) == os.path.dirname(os.path.abspath(__file__)):
            del sys.modules[name]


def _missing(path):
    """What ``backprop run --list-missing`` says of the program, found without running it (backprop side only)."""
    if "backprop" not in sys.modules:
        return None
    try:
        from backprop.compat.missing import missing_names
        with open(path) as f:
            return [f"{line}: {name} {why}" for line, name, why in missing_names(f.read(), path)]
    except Exception as error:  # noqa: BLE001 - reported by the test as a finding of its own
        return [f"--list-missing itself failed: {type(error).__name__}: {error}"]


def run_one(job):
    out, err = io.StringIO(), io.StringIO()
    result = {"name": job["name"], "exit_code": 0, "error": None, "traceback": None, "missing": _missing(job["path"])}
    old_argv, old_cwd, old_path = sys.argv, os.getcwd(), list(sys.path)
    before = set(sys.modules)
    _reset()
    start = time.perf_counter()
    signal.alarm(int(job.get("timeout", 60)))
    try:
        os.makedirs(job["cwd"], exist_ok=True)
        os.chdir(job["cwd"])
        sys.argv = [job["path"], *job.get("args", [])]
        sys.path.insert(0, os.path.dirname(job["path"]))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            runpy.run_path(job["path"], run_name="__main__")
    except SystemExit as exit_:
        code = exit_.code
        result["exit_code"] = 0 if code is None else code if isinstance(code, int) else 1
        if not isinstance(code, (int, type(None))):
            err.write(f"{code}\n")
    except BaseException as error:  # noqa: BLE001 - every failure of a program is a result
        result["exit_code"] = 1
        result["error"] = f"{type(error).__name__}: {error}".splitlines()[0] if str(error) else type(error).__name__
        result["traceback"] = traceback.format_exc()
    finally:
        signal.alarm(0)
        result["seconds"] = time.perf_counter() - start
        sys.argv, sys.path[:] = old_argv, old_path
        os.chdir(old_cwd)
        _forget_local_modules(before)
    result["stdout"], result["stderr"] = out.getvalue(), err.getvalue()
    return result


def main(argv):
    framework, jobs_file, results_file = argv[1], argv[2], argv[3]
    if framework == "--framework=backprop":
        try:
            import backprop.compat
            backprop.compat.install()
        except Exception as error:  # noqa: BLE001 - reported per program below
            failure = f"backprop.compat.install() failed: {type(error).__name__}: {error}"
            jobs = json.load(open(jobs_file))
            json.dump([{"name": job["name"], "exit_code": 1, "error": failure, "traceback": failure,
                        "stdout": "", "stderr": "", "seconds": 0.0} for job in jobs], open(results_file, "w"))
            return 0
    elif framework == "--framework=torch":
        import torch
        torch.set_num_threads(1)
    else:
        raise SystemExit(f"expected --framework=torch or --framework=backprop, got {framework!r}")
    signal.signal(signal.SIGALRM, _alarm)
    results = []
    for job in json.load(open(jobs_file)):
        results.append(run_one(job))
        with open(results_file, "w") as f:  # written after each program: a crash still leaves the others
            json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
