"""Editing containers as torch programs do (replace, delete, insert, pop a layer) and load_state_dict's result,
against torch."""
import pytest
import torch

import backprop as bp


def _layers(lib):
    return lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU(), lib.nn.Linear(3, 1))


def _edit(lib, container):
    container[1] = lib.nn.Tanh()
    del container[0]
    container.append(lib.nn.Sigmoid())
    container.insert(0, lib.nn.ReLU())
    popped = container.pop(-1)
    container.extend([lib.nn.Identity()])
    return popped


@pytest.mark.parametrize("kind", ["Sequential", "ModuleList"])
def test_editing_a_container_gives_torch_layout(kind):
    made = {}
    for lib in (bp, torch):
        layers = list(_layers(lib))
        container = getattr(lib.nn, kind)(layers) if kind == "ModuleList" else lib.nn.Sequential(*layers)
        popped = _edit(lib, container)
        made[lib.__name__] = (repr(container), type(popped).__name__, list(dict(container.named_children())))
    assert made["backprop"] == made["torch"]


def test_index_out_of_range_is_an_index_error():
    with pytest.raises(IndexError):
        bp.nn.Sequential(bp.nn.ReLU())[3] = bp.nn.Tanh()


def test_load_state_dict_result_prints_as_torch():
    for lib in (bp, torch):
        model = lib.nn.Linear(2, 2)
        assert repr(model.load_state_dict(model.state_dict())) == "<All keys matched successfully>"
    results = [lib.nn.Linear(2, 2).load_state_dict({"weight": lib.zeros(2, 2)}, strict=False) for lib in (bp, torch)]
    assert repr(results[0]) == repr(results[1])
    assert results[0].missing_keys == ["bias"] and results[0].unexpected_keys == []
