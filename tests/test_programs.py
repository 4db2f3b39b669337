"""A corpus of complete PyTorch programs (tests/programs/), each run under real torch and under backprop.

Every program runs in one interpreter per framework (tests/programs/_driver.py: runpy with ``sys.argv`` and a
working directory of its own; the backprop side calls ``backprop.compat.install()`` first, as ``backprop run``
does), and a handful also through the ``backprop run`` command line. Each program states in its header
comment how its output is compared:

    # compare: exact                      stdout identical (backprop's ``backprop.float32`` read as ``torch.``)
    # compare: close rtol=1e-4 atol=1e-6  the same text, every number within the tolerance
    # compare: loss rel=0.1 floor=0.01    the last ``final loss: X`` within rel of torch's, or both below floor
    # compare: none                       no numbers compared (only its expectations)
    # free: PREFIX                        (loss, none) lines starting so may differ in text, e.g. a generated sample
    # expect: accuracy >= 0.9             on each framework: the last ``accuracy: X`` line satisfies it
    # args: --epochs 2                    the command-line arguments of the test run
    # only: backprop                      torchvision programs: torchvision is not installed beside torch here
    # data: mnist                         tiny idx files written to ./data/MNIST/raw (fashion: FashionMNIST)
"""
import json
import math
import os
import pathlib
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

PROGRAMS = pathlib.Path(__file__).parent / "programs"
DRIVER = PROGRAMS / "_driver.py"

# Programs that stop under backprop because it still lacks a torch name, or that print differently from torch: each
# xfail is strict, so the day a program passes, its test fails until its line here is removed.
XFAIL = {}  # none today


def header(path):
    """The ``# key: value`` lines at the top of a program (repeated keys collected in a list)."""
    spec = {"compare": "exact", "expect": [], "free": [], "args": "", "only": None, "data": None, "timeout": "60"}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].strip().partition(":")
        if sep and key.strip() in spec:
            key = key.strip()
            if key in ("expect", "free"):
                spec[key].append(value.strip())
            else:
                spec[key] = value.strip()
    spec.update(_spec(spec["compare"], spec["free"]))
    return spec


def _spec(compare, free):
    """The comparison a ``# compare: MODE key=value...`` line asks for."""
    mode, *options = compare.split()
    return {"mode": mode, "options": {k: float(v) for k, v in (option.split("=") for option in options)},
            "free": free}


ALL = sorted(path for path in PROGRAMS.glob("*.py") if not path.name.startswith("_") and path.name != "conftest.py")
SPECS = {path.stem: header(path) for path in ALL}


# ---------------------------------------------------------------------------------------------------------------
# Data files the torchvision-style programs read: tiny idx files in torchvision's layout.

def _idx(array):
    dtype_code = {np.uint8: 0x08}[array.dtype.type]
    return struct.pack(">BBBB", 0, 0, dtype_code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.tobytes()


def synthetic_digits(n, seed):
    """28x28 uint8 images whose class (0-9) is the row of a bright horizontal bar, with noise."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 10).astype(np.uint8)
    rng.shuffle(labels)
    images = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels):
        row = 3 + 2 * int(label)
        image[row:row + 2, 4:24] = 250
    return images, labels


def write_idx_dataset(root, folder, train=96, test=40):
    raw = pathlib.Path(root) / "data" / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, n, seed in (("train", train, 1), ("t10k", test, 2)):
        images, labels = synthetic_digits(n, seed)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(_idx(images))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(_idx(labels))


DATA = {"mnist": lambda cwd: write_idx_dataset(cwd, "MNIST"),
        "fashion": lambda cwd: write_idx_dataset(cwd, "FashionMNIST")}


# ---------------------------------------------------------------------------------------------------------------
# Running the corpus: one interpreter per framework, started together.

def _jobs(names, workdir):
    jobs = []
    for name in names:
        spec = SPECS[name]
        cwd = pathlib.Path(workdir) / name
        cwd.mkdir(parents=True, exist_ok=True)
        if spec["data"]:
            DATA[spec["data"]](cwd)
        jobs.append({"name": name, "path": str(PROGRAMS / f"{name}.py"), "args": spec["args"].split(),
                     "cwd": str(cwd), "timeout": int(spec["timeout"])})
    return jobs


def _environment():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONHASHSEED="0")
    src = str(pathlib.Path(__file__).parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="module")
def results(request, tmp_path_factory):
    """{framework: {program: result}} for the programs this session selected."""
    selected = {item.callspec.params["name"] for item in request.session.items  # (doctest items have no module)
                if getattr(item, "module", None) is request.module and hasattr(item, "callspec")
                and "name" in item.callspec.params}
    selected = sorted(selected or SPECS)
    runs = {}
    for framework in ("torch", "backprop"):
        names = [n for n in selected if framework == "backprop" or SPECS[n]["only"] != "backprop"]
        base = tmp_path_factory.mktemp(framework)
        jobs, out = base / "jobs.json", base / "results.json"
        jobs.write_text(json.dumps(_jobs(names, base / "work")))
        process = subprocess.Popen([sys.executable, str(DRIVER), f"--framework={framework}", str(jobs), str(out)],
                                   env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        runs[framework] = (process, out)
    collected = {}
    for framework, (process, out) in runs.items():
        log, _ = process.communicate(timeout=900)
        done = {r["name"]: r for r in json.loads(out.read_text())} if out.exists() else {}
        collected[framework] = (done, log)
    return collected


def result_of(results, framework, name):
    done, log = results[framework]
    if name not in done:
        pytest.fail(f"the {framework} driver never reported {name} (it crashed?):\n{log[-3000:]}")
    return done[name]


# ---------------------------------------------------------------------------------------------------------------
# Comparing outputs.

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")


def normalise(text):
    """backprop prints its own name where torch prints ``torch.`` (``torch.float32``, ``torch.Size``); object
    addresses (``<AddBackward0 object at 0x7f...>``) differ from run to run."""
    return re.sub(r" at 0x[0-9a-fA-F]+>", " at 0x...>", re.sub(r"\bbackprop\.", "torch.", text))


def first_difference(expected, got):
    a, b = expected.splitlines(), got.splitlines()
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"line {i + 1}:\n  torch:    {x!r}\n  backprop: {y!r}"
    return f"torch printed {len(a)} lines, backprop {len(b)}"


def split_numbers(text):
    """(the text with every number replaced by #, whitespace runs collapsed; the numbers)."""
    numbers = [float(m) for m in NUMBER.findall(text)]
    skeleton = re.sub(r"\s+", " ", NUMBER.sub("#", text)).strip()
    return skeleton, numbers


def compare_close(expected, got, rtol, atol):
    for i, (line_e, line_g) in enumerate(zip(expected.splitlines(), got.splitlines())):
        skel_e, num_e = split_numbers(line_e)
        skel_g, num_g = split_numbers(line_g)
        where = f"line {i + 1}:\n  torch:    {line_e!r}\n  backprop: {line_g!r}"
        assert skel_e == skel_g and len(num_e) == len(num_g), f"the text differs at {where}"
        for a, b in zip(num_e, num_g):
            same = a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= atol + rtol * abs(a)
            assert same, f"{b} is not within rtol={rtol}, atol={atol} of {a} at {where}"
    assert len(expected.splitlines()) == len(got.splitlines()), first_difference(expected, got)


def last_value(text, key):
    """The number on the last line that starts with ``key:``."""
    values = re.findall(rf"^{re.escape(key)}:\s*({NUMBER.pattern})", text, flags=re.MULTILINE)
    return float(values[-1]) if values else None


EXPECT = re.compile(r"(.+?)\s*(<=|>=|==|<|>)\s*(\S+)$")
OPERATORS = {"<": float.__lt__, ">": float.__gt__, "<=": float.__le__, ">=": float.__ge__, "==": float.__eq__}


def check_expectations(spec, text, framework):
    for expectation in spec["expect"]:
        key, op, bound = EXPECT.match(expectation).groups()
        value = last_value(text, key)
        assert value is not None, f"{framework} printed no '{key}: X' line (expected {expectation})"
        assert OPERATORS[op](value, float(bound)), f"{framework}: {key} = {value}, expected {expectation}"


def compare_text(expected, got, free):
    """The same lines with the numbers masked, but for those starting with a prefix in ``free``."""
    assert len(expected.splitlines()) == len(got.splitlines()), first_difference(expected, got)
    for i, (line_e, line_g) in enumerate(zip(expected.splitlines(), got.splitlines())):
        if not line_e.startswith(tuple(free)):
            assert split_numbers(line_e)[0] == split_numbers(line_g)[0], \
                f"the text differs at line {i + 1}:\n  torch:    {line_e!r}\n  backprop: {line_g!r}"


def compare(spec, torch_out, backprop_out):
    torch_out, backprop_out = normalise(torch_out), normalise(backprop_out)
    mode, options = spec["mode"], spec["options"]
    if mode in ("loss", "none"):
        compare_text(torch_out, backprop_out, spec["free"])
    if mode == "exact":
        assert torch_out == backprop_out, first_difference(torch_out, backprop_out)
    elif mode == "close":
        compare_close(torch_out, backprop_out, options.get("rtol", 1e-5), options.get("atol", 1e-8))
    elif mode == "loss":
        a, b = last_value(torch_out, "final loss"), last_value(backprop_out, "final loss")
        assert a is not None and b is not None, "both must print 'final loss: X'"
        floor, rel = options.get("floor", 0.0), options.get("rel", 0.1)
        assert (a < floor and b < floor) or abs(a - b) <= rel * abs(a), \
            f"final loss: torch {a}, backprop {b} (rel {rel}, floor {floor})"
    else:
        assert mode == "none", f"unknown compare mode {mode!r}"


def _failure(result, framework):
    return (f"{framework} run failed (exit code {result['exit_code']}): {result['error']}\n"
            f"{result['traceback'] or result['stderr'][-3000:]}\n--- stdout ---\n{result['stdout'][-2000:]}")


def _params():
    for name in SPECS:
        marks = [pytest.mark.xfail(strict=True, reason=XFAIL[name])] if name in XFAIL else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_program(name, results):
    spec = SPECS[name]
    theirs = None
    if spec["only"] != "backprop":
        theirs = result_of(results, "torch", name)
        assert theirs["exit_code"] == 0, "the program is broken under torch itself: " + _failure(theirs, "torch")
        check_expectations(spec, theirs["stdout"], "torch")
    ours = result_of(results, "backprop", name)
    assert ours["exit_code"] == 0, _failure(ours, "backprop")
    assert not ours["missing"], f"backprop run --list-missing reports names the program ran without: {ours['missing']}"
    check_expectations(spec, ours["stdout"], "backprop")
    if theirs is not None:
        compare(spec, theirs["stdout"], ours["stdout"])


@pytest.mark.parametrize("mode, torch_out, backprop_out", [
    ("exact", "x: torch.float32\n", "x: backprop.float64\n"),
    ("exact", "a\nb\n", "a\n"),
    ("close rtol=1e-3", "loss 1.000 at step 3\n", "loss 1.002 at step 3\n"),
    ("close rtol=1e-3", "loss 1.000 at step 3\n", "loss 1.000 at epoch 3\n"),
    ("close", "[1, 2]\n", "[1, 2, 3]\n"),
    ("loss rel=0.1 floor=0.01", "final loss: 0.50\n", "final loss: 0.56\n"),
    ("loss rel=0.1 floor=0.01", "final loss: 0.009\n", "final loss: 0.02\n"),
    ("none", "acc: 1\nsample: abc\n", "accuracy: 1\nsample: abc\n"),
])
def test_a_difference_fails_the_comparison(mode, torch_out, backprop_out):
    with pytest.raises(AssertionError):
        compare(_spec(mode, free=[]), torch_out, backprop_out)


@pytest.mark.parametrize("mode, torch_out, backprop_out", [
    ("exact", "x: torch.float32 torch.Size([2]) <MulBackward0 object at 0x7f3a>\n",
     "x: backprop.float32 backprop.Size([2]) <MulBackward0 object at 0x55aa>\n"),
    ("close rtol=1e-3", "tensor([1.0000,  -2.0000])\n", "tensor([1.0005, -2.0010])\n"),
    ("close atol=1e-6", "-0.00000 nan inf\n", "0.00000 nan inf\n"),
    ("loss rel=0.1 floor=0.01", "final loss: 0.50\n", "final loss: 0.54\n"),
    ("loss rel=0.1 floor=0.01", "final loss: 0.009\n", "final loss: 0.001\n"),
    ("none", "step 1: 0.5\nsample: abc\n", "step 1: 0.7\nsample: xyz\n"),
])
def test_an_allowed_difference_passes_the_comparison(mode, torch_out, backprop_out):
    compare(_spec(mode, free=["sample:"]), torch_out, backprop_out)


def test_every_program_declares_a_known_comparison():
    assert len(SPECS) >= 40
    for name, spec in SPECS.items():
        assert spec["mode"] in ("exact", "close", "loss", "none"), name
        assert spec["only"] in (None, "backprop"), name
        assert spec["data"] in (None, *DATA), name
        for expectation in spec["expect"]:
            assert EXPECT.match(expectation), f"{name}: bad expectation {expectation!r}"
        source = (PROGRAMS / f"{name}.py").read_text()
        assert 'if __name__ == "__main__":' in source and "manual_seed" in source, name


# ---------------------------------------------------------------------------------------------------------------
# A few programs end to end through the command line: `backprop run PROGRAM.py ARGS` in a folder of its own.

def backprop_run(program, args, cwd):
    return subprocess.run([sys.executable, "-m", "backprop", "run", str(program), *args], cwd=cwd,
                          env=_environment(), capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", ["tensors_basics", "polynomial_module", "custom_dataset", "torchvision_mnist"])
def test_backprop_run_command(name, results, tmp_path):
    spec = SPECS[name]
    if spec["data"]:
        DATA[spec["data"]](tmp_path)
    done = backprop_run(PROGRAMS / f"{name}.py", spec["args"].split(), tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    check_expectations(spec, done.stdout, "backprop run")
    if spec["only"] != "backprop":
        theirs = result_of(results, "torch", name)
        assert theirs["exit_code"] == 0, _failure(theirs, "torch")
        compare(spec, theirs["stdout"], done.stdout)


def test_backprop_run_passes_arguments_working_directory_and_exit_code(tmp_path):
    (tmp_path / "input.txt").write_text("1.5 2.5 4")
    program = PROGRAMS / "_exit_status.py"
    ours = backprop_run(program, ["3", "--flag"], tmp_path)
    theirs = subprocess.run([sys.executable, str(program), "3", "--flag"], cwd=tmp_path, env=_environment(),
                            capture_output=True, text=True, timeout=300)
    assert theirs.returncode == 3, theirs.stderr
    assert ours.returncode == 3, ours.stderr
    assert ours.stdout == theirs.stdout == "argv: ['3', '--flag'] name: __main__\nsum: 8.0\n"
