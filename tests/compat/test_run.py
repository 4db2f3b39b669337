"""`backprop run PROGRAM.py [ARGS...]` end to end, in a subprocess, as `python PROGRAM.py ARGS` would run it."""
import os
import subprocess
import sys
import textwrap

import pytest

from backprop.cli import main


def _backprop(*argv, cwd):
    return subprocess.run([sys.executable, "-m", "backprop", *argv], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


PROGRAM = """\
    import os
    import sys

    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset

    import helper  # beside the program: sys.path[0] is its directory


    def main():
        torch.manual_seed(0)
        x = torch.randn(32, 3)
        y = x.sum(dim=1, keepdim=True)
        model = nn.Linear(3, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(30):
            for xb, yb in DataLoader(TensorDataset(x, y), batch_size=8):
                optimizer.zero_grad()
                F.mse_loss(model(xb), yb).backward()
                optimizer.step()
        print("name", __name__)
        print("argv", sys.argv)
        print("file", os.path.isabs(__file__), os.path.basename(__file__))
        print("helper", helper.VALUE)
        with open(os.path.join("data", "numbers.txt")) as file:  # relative to the current directory
            print("data", file.read().split())
        print("loss", round(F.mse_loss(model(x), y).item(), 3))
        if len(sys.argv) > 1 and sys.argv[1] == "exit":
            sys.exit(int(sys.argv[2]))
        if len(sys.argv) > 1 and sys.argv[1] == "message":
            sys.exit("stopped early")
        if len(sys.argv) > 1 and sys.argv[1] == "fail":
            helper.check(-1)
        if len(sys.argv) > 1 and sys.argv[1] == "missing":
            torch.no_such_function(x)


    if __name__ == "__main__":
        main()
"""

HELPER = """\
    VALUE = 42


    def check(n):
        if n < 0:
            raise ValueError(f"expected n >= 0,\\ngot {n}")
"""


@pytest.fixture
def project(tmp_path):
    """cwd/ holds data/numbers.txt; cwd/code/train.py and cwd/code/helper.py are the program."""
    _write(tmp_path / "code" / "train.py", PROGRAM)
    _write(tmp_path / "code" / "helper.py", HELPER)
    _write(tmp_path / "data" / "numbers.txt", "1 2 3\n")
    return tmp_path


def test_a_program_runs_as_python_runs_it(project):
    done = _backprop("run", "code/train.py", "--lr", "3", cwd=project)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:5] == ["name __main__", "argv ['code/train.py', '--lr', '3']", "file True train.py", "helper 42",
                         "data ['1', '2', '3']"]
    assert lines[5].startswith("loss ") and float(lines[5].split()[1]) < 0.01
    assert done.stderr == ""


def test_the_exit_code_of_sys_exit_is_kept(project):
    assert _backprop("run", "code/train.py", "exit", "3", cwd=project).returncode == 3
    assert _backprop("run", "code/train.py", "exit", "0", cwd=project).returncode == 0
    done = _backprop("run", "code/train.py", "message", cwd=project)
    assert done.returncode == 1 and done.stderr == "stopped early\n"


def test_an_uncaught_error_is_one_line_at_the_programs_innermost_line(project):
    done = _backprop("run", "code/train.py", "fail", cwd=project)
    assert done.returncode == 1
    assert done.stderr == f"{os.path.join('code', 'helper.py')}:6: ValueError: expected n >= 0, got -1\n"
    done = _backprop("run", "code/train.py", "missing", cwd=project)
    assert done.returncode == 1
    line = [t.strip() for t in PROGRAM.splitlines()].index("torch.no_such_function(x)") + 1
    assert done.stderr == f"code/train.py:{line}: AttributeError: torch.no_such_function is not provided by backprop\n"


def test_an_error_inside_backprop_points_at_the_programs_line(tmp_path):
    _write(tmp_path / "shapes.py", """\
        import torch

        a = torch.ones(2, 3)
        b = torch.ones(4, 5)
        c = a @ b
    """)
    done = _backprop("run", "shapes.py", cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("shapes.py:5: ") and "Traceback" not in done.stderr


def test_traceback_shows_pythons_traceback(project):
    done = _backprop("run", "--traceback", "code/train.py", "fail", cwd=project)
    assert done.returncode == 1
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert done.stderr.rstrip().endswith("ValueError: expected n >= 0,\ngot -1")


def test_a_syntax_error_is_one_line(tmp_path):
    _write(tmp_path / "broken.py", "import torch\nx = (1,\n")
    done = _backprop("run", "broken.py", cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.startswith("broken.py:2: SyntaxError: ")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["run"], "the following arguments are required: PROGRAM.py"),
    (["run", "no_such_program.py"], "backprop run: no such file 'no_such_program.py'"),
    (["run", "--bogus", "x.py"], "unrecognized arguments"),
])
def test_usage_errors_are_one_line_and_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_the_programs_own_options_go_to_the_program(tmp_path):
    _write(tmp_path / "echo.py", "import sys\nprint(sys.argv[1:])\n")
    done = _backprop("run", "echo.py", "--traceback", "-h", "--list-missing", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == "['--traceback', '-h', '--list-missing']\n"


def test_list_missing_reports_without_running(tmp_path):
    _write(tmp_path / "uses.py", """\
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, NoSuchLoader
        import torchvision.models

        raise SystemExit("the program must not run")
        x = torch.tensor([1.0])
        y = torch.no_such_function(x)
        layer = nn.NoSuchLayer(3)
        z = F.relu(x) + F.no_such_activation(x)
        torch.backends.cudnn.benchmark = True
        torch.onnx.export(layer, x, "m.onnx")
        w = torch.no_such_function(y)  # reported once, at its first use
    """)
    done = _backprop("run", "--list-missing", "uses.py", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "uses.py:4: torch.utils.data.NoSuchLoader is not provided by backprop",
        "uses.py:5: torchvision.models is not provided by backprop",
        "uses.py:9: torch.no_such_function is not provided by backprop",
        "uses.py:10: torch.nn.NoSuchLayer is not provided by backprop",
        "uses.py:11: torch.nn.functional.no_such_activation is not provided by backprop",
        "uses.py:13: torch.onnx.export raises NotImplementedError when called: torch.onnx.export is not provided "
        "by backprop (backprop does not write ONNX graphs)",
    ]


def test_list_missing_exits_0_when_backprop_has_everything(tmp_path):
    _write(tmp_path / "fine.py", """\
        import torch
        from torch import nn, optim
        model = nn.Linear(2, 1)
        opt = optim.SGD(model.parameters(), lr=0.1)
        print(torch.tensor([1.0]).sum())
    """)
    done = _backprop("run", "--list-missing", "fine.py", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
