"""A plain `pip install backprop` (NumPy and safetensors, no extra) gives working bp.save/bp.load.

The subprocess hides every optional package (the extras' and torch) behind an import hook that
refuses them, as if they were not installed, and then uses what the core promises.
"""
import pathlib
import subprocess
import sys
import textwrap
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
OPTIONAL = ("sklearn", "scipy", "matplotlib", "tqdm", "PIL", "threadpoolctl", "torch", "gymnasium", "mpi4py", "cupy",
            "starlette", "uvicorn", "websockets", "markdown_it", "httpx")

HIDE_OPTIONAL = textwrap.dedent(f"""
    import sys

    class Hide:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {OPTIONAL!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}} (hidden by the test)", name=name)
            return None

    sys.meta_path.insert(0, Hide())
""")


def run_without_extras(code):
    """Run code in a fresh interpreter where no optional package can be imported; its stdout."""
    result = subprocess.run([sys.executable, "-c", HIDE_OPTIONAL + textwrap.dedent(code)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_safetensors_is_a_core_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {requirement.split(">")[0].split("=")[0].strip() for requirement in project["dependencies"]}
    assert names == {"numpy", "safetensors"}


def test_save_and_load_need_no_extra(tmp_path):
    out = run_without_extras(f"""
        import backprop as bp
        bp.manual_seed(0)
        model = bp.nn.Linear(3, 2)
        optimizer = bp.optim.Adam(model.parameters())
        model(bp.randn(4, 3)).sum().backward()
        optimizer.step()
        path = {str(tmp_path / "checkpoint.safetensors")!r}
        bp.save({{"model": model.state_dict(), "optimizer": optimizer.state_dict()}}, path)
        back = bp.load(path)
        fresh = bp.nn.Linear(3, 2)
        fresh.load_state_dict(back["model"])
        print(bool((fresh.weight == model.weight).all()), int(back["optimizer"]["state"][0]["step"]))
        print(sorted(name for name in sys.modules if name.split(".")[0] in {OPTIONAL!r}))
    """)
    assert out.split("\n")[:2] == ["True 1", "[]"]


def test_the_offline_digits_need_no_extra():
    out = run_without_extras("""
        import backprop as bp
        train, test = bp.data.digits(), bp.data.digits(train=False)
        image, label = train[0]
        print(len(train), len(test), tuple(image.shape), float(train.data.max()))
    """)
    assert out.strip() == "1437 360 (1, 8, 8) 16.0"


def test_the_wheel_lists_the_digits_as_package_data():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "digits.npz" in package_data["backprop.data.datasets"]
    assert (ROOT / "src" / "backprop" / "data" / "datasets" / "digits.npz").is_file()
    notice = (ROOT / "NOTICE").read_text()
    for credit in ("Optical Recognition of Handwritten Digits", "Alpaydin", "Kaynak", "10.24432/C50P49", "CC BY 4.0"):
        assert credit in notice


def test_training_writes_its_checkpoint_and_a_report_without_figures(tmp_path):
    out = tmp_path / "run"
    printed = run_without_extras(f"""
        import os
        import backprop as bp
        from backprop.data import DataLoader, digits
        from backprop.train.report import write_report
        from backprop.train.trainer import Trainer

        bp.manual_seed(0)
        train, test = digits(), digits(train=False)
        model = bp.nn.Sequential(bp.nn.Flatten(), bp.nn.Linear(64, 10))
        trainer = Trainer(model, bp.optim.SGD(model.parameters(), lr=0.5), bp.nn.CrossEntropyLoss(),
                          DataLoader(train, batch_size=64, shuffle=True, seed=0), epochs=2, out_dir={str(out)!r})
        trainer.fit()
        summary = write_report(trainer, DataLoader(test, batch_size=360), train.classes, (1, 8, 8), "linear on digits")
        print(summary["test_accuracy"] > 0.8, sorted(os.listdir({str(out)!r})))
    """)
    assert printed.strip() == ("True ['checkpoint.safetensors', 'history.csv', 'history.json', 'report.md', "
                               "'test.json']")
    report = (out / "report.md").read_text()
    assert "No figures: they need matplotlib (`pip install matplotlib`" in report and ".png" not in report


def test_serve_without_its_extra_is_one_line_naming_the_install_command():
    code = HIDE_OPTIONAL + "from backprop.cli import main; raise SystemExit(main(['serve', '--port', '0']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "backprop: error: backprop serve needs the serve extra: pip install 'backprop[serve]'\n"
