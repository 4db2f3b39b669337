"""Under backprop run, torch.distributions and each of its files (torch.distributions.categorical, .kl,
.constraints ...) resolve to backprop.distributions, with every public name torch's file has."""
import json
import pkgutil
import subprocess
import sys

import torch.distributions


def _torch_files():
    """torch.distributions' files and the public names each exports (read from the installed torch)."""
    files = {}
    for info in pkgutil.iter_modules(torch.distributions.__path__):
        module = __import__(f"torch.distributions.{info.name}", fromlist=["_"])
        files[info.name] = sorted(getattr(module, "__all__", []))
    return files


def test_every_file_and_name_resolves_under_the_hook():
    files = _torch_files()
    script = f"""
import importlib, json
import backprop.compat
backprop.compat.install()
missing = []
for name, names in json.loads({json.dumps(json.dumps(files))}).items():
    try:
        module = importlib.import_module("torch.distributions." + name)
    except ImportError as error:
        missing.append(f"torch.distributions.{{name}}: {{error}}")
        continue
    missing += [f"torch.distributions.{{name}}.{{n}}" for n in names if not hasattr(module, n)]
import torch.distributions as d
missing += [f"torch.distributions.{{n}}" for n in {sorted(torch.distributions.__all__)!r} if not hasattr(d, n)]
assert type(d.Normal(0.0, 1.0).sample()).__module__ == "backprop.tensor"
print(json.dumps(missing))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
