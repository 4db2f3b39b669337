"""backprop.cuda's answers where there is no GPU (CuPy hidden), as on CI."""
import sys

import pytest

import backprop as bp


@pytest.fixture
def no_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` now raises ImportError
    monkeypatch.setattr(bp.backend, "cupy", None)


def test_without_cupy_there_is_no_gpu(no_cupy):
    assert bp.cuda.is_available() is False
    assert bp.cuda.device_count() == 0


@pytest.mark.parametrize("ask", [bp.cuda.current_device, bp.cuda.get_device_name, bp.cuda.synchronize])
def test_asking_about_a_missing_gpu_says_how_to_get_one(no_cupy, ask):
    with pytest.raises(RuntimeError, match=r"no CUDA device is available.*backprop\[gpu\]"):
        ask()


def test_a_cuda_tensor_without_cupy_names_the_extra(no_cupy):
    with pytest.raises(RuntimeError, match=r"needs CuPy, which is not installed: pip install 'backprop\[gpu\]'"):
        bp.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="needs CuPy"):
        bp.ones(2).to("cuda")


def test_importing_backprop_does_not_import_cupy():
    import subprocess

    code = "import sys, backprop; backprop.cuda.__name__; print('cupy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_mixing_devices_is_checked_by_every_op(monkeypatch):
    # where CuPy is loaded, Function.apply compares the inputs' devices; a stand-in device shows the message
    import types

    from backprop import backend

    monkeypatch.setattr(backend, "cupy", types.SimpleNamespace(ndarray=type("NoArray", (), {})))  # "a GPU in use"
    a, b = bp.ones(3), bp.ones(3)
    monkeypatch.setattr(type(b), "device", property(lambda t: bp.device("cuda") if t is b else bp.device("cpu")))
    with pytest.raises(RuntimeError, match=r"same device, but found at least two devices, cpu and cuda:0, in Add"):
        a + b
    assert (a + a).tolist() == [2.0, 2.0, 2.0]
