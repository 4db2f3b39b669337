"""Adversarial training in the Trainer: one step against the same step written out in torch."""
import functools

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.attacks import fgsm
from backprop.train import Trainer

EPS, LR = 0.1, 0.5


def _model():
    """Linear, batch norm (its running statistics tell eval mode from training mode), tanh, linear."""
    return bp.nn.Sequential(bp.nn.Linear(5, 8), bp.nn.BatchNorm1d(8), bp.nn.Tanh(), bp.nn.Linear(8, 3)).double()


def _twin(model):
    twin = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 3)).double()
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    return twin


def _data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return bp.tensor(rng.uniform(0, 1, (n, 5))), bp.tensor(rng.integers(0, 3, n))


def _torch_step(twin, x, y, w):
    """x_adv = clip(x + eps sign(grad_x J)) in eval mode; then in training mode
    J~ = (1 - w) J(x) + w J(x_adv) (J(x) left out for w = 1) and theta <- theta - eta grad J~."""
    x, y = torch.tensor(x.numpy()), torch.tensor(y.numpy())
    twin.eval()
    leaf = x.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(torch.nn.functional.cross_entropy(twin(leaf), y), leaf)
    x_adv = torch.clamp(x + EPS * gradient.sign(), 0, 1)
    twin.train()
    adversarial_output = None
    if w < 1:
        output = twin(x)
        loss = (1 - w) * torch.nn.functional.cross_entropy(output, y)
        adversarial_output = twin(x_adv)
        loss = loss + w * torch.nn.functional.cross_entropy(adversarial_output, y)
    else:
        output = twin(x_adv)
        loss = torch.nn.functional.cross_entropy(output, y)
    twin.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in twin.parameters():
            p -= LR * p.grad
    return loss.item(), (output.argmax(dim=1) == y).double().mean().item()


@pytest.mark.parametrize("w", [0.3, 1.0])
def test_one_step_is_sgd_on_the_weighted_clean_and_adversarial_loss(w):
    """Parameters, batch-norm statistics (one update per forward pass in training mode: two for w < 1, one
    for w = 1), the logged loss J~ and the logged accuracy (clean for w < 1, adversarial for w = 1)."""
    model = _model()
    twin = _twin(model)
    x, y = _data()
    trainer = Trainer(model, bp.optim.SGD(model.parameters(), lr=LR), bp.nn.CrossEntropyLoss(),
                      bp.data.DataLoader(bp.data.TensorDataset(x, y), batch_size=16), epochs=1,
                      adversary=functools.partial(fgsm, eps=EPS), adversarial_weight=w)
    (row,) = trainer.fit()
    loss, accuracy = _torch_step(twin, x, y, w)
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key].numpy(), value.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=key)
    assert int(model[1].num_batches_tracked.item()) == (1 if w == 1 else 2)
    assert row["loss"] == pytest.approx(loss, rel=1e-10)
    assert row["accuracy"] == pytest.approx(accuracy)
    assert model.training


def test_w_one_trains_on_the_adversarial_examples_only():
    """With w = 1 the clean batch never reaches the model: an adversary that returns the same x_adv whatever
    x it is given makes the update independent of x."""
    x, y = _data()
    x_adv = bp.tensor(np.random.default_rng(1).uniform(0, 1, x.shape))
    states = []
    for inputs in (x, 1 - x):
        bp.manual_seed(0)
        model = _model()
        seen = []
        adversary = lambda m, batch, target: (seen.append(m.training), x_adv)[1]  # noqa: E731
        Trainer(model, bp.optim.SGD(model.parameters(), lr=LR), bp.nn.CrossEntropyLoss(),
                bp.data.DataLoader(bp.data.TensorDataset(inputs, y), batch_size=16), epochs=2,
                adversary=adversary, adversarial_weight=1.0).fit()
        assert seen == [False, False]  # crafted in eval mode, once a step
        states.append(model.state_dict())
    for key, value in states[0].items():
        np.testing.assert_array_equal(states[1][key].numpy(), value.numpy(), err_msg=key)


def test_an_adversary_may_return_an_array():
    """A NumPy x_adv (here float32 for float64 inputs) is trained on as a batch of the inputs' dtype."""
    x, y = _data()
    model = _model()
    seen = []
    model.register_forward_hook(lambda module, args, output: seen.append(args[0].dtype))
    Trainer(model, bp.optim.SGD(model.parameters(), lr=LR), bp.nn.CrossEntropyLoss(),
            bp.data.DataLoader(bp.data.TensorDataset(x, y), batch_size=16), epochs=1,
            adversary=lambda m, batch, target: batch.numpy().astype(np.float32), adversarial_weight=1.0).fit()
    assert seen == [np.float64]


def test_without_an_adversary_the_trainer_is_unchanged():
    """adversarial_weight alone does nothing: the same weights as a plain Trainer."""
    x, y = _data()
    states = []
    for weight in (0.5, 0.9):
        bp.manual_seed(0)
        model = _model()
        Trainer(model, bp.optim.SGD(model.parameters(), lr=LR), bp.nn.CrossEntropyLoss(),
                bp.data.DataLoader(bp.data.TensorDataset(x, y), batch_size=8), epochs=1,
                adversarial_weight=weight).fit()
        states.append(model.state_dict())
    for key, value in states[0].items():
        np.testing.assert_array_equal(states[1][key].numpy(), value.numpy(), err_msg=key)


def test_w_zero_is_plain_training_without_calling_the_adversary():
    """J~ = J(x) for w = 0: the weights and batch-norm statistics of a plain Trainer (an adversarial forward
    pass in training mode would update the running statistics), and no attack is crafted."""
    x, y = _data()
    states, calls = [], []
    for adversary in (None, lambda m, batch, target: calls.append(1) or batch + 0.1):
        bp.manual_seed(0)
        model = _model()
        Trainer(model, bp.optim.SGD(model.parameters(), lr=LR), bp.nn.CrossEntropyLoss(),
                bp.data.DataLoader(bp.data.TensorDataset(x, y), batch_size=8), epochs=1,
                adversary=adversary, adversarial_weight=0.0).fit()
        states.append(model.state_dict())
    assert calls == []
    for key, value in states[0].items():
        np.testing.assert_array_equal(states[1][key].numpy(), value.numpy(), err_msg=key)


@pytest.mark.parametrize("weight", [-0.1, 1.5, True, "0.5", None])
def test_a_bad_adversarial_weight_is_refused(weight):
    model = _model()
    with pytest.raises(ValueError, match=r"adversarial_weight must be a number in \[0, 1\]"):
        Trainer(model, bp.optim.SGD(model.parameters(), lr=LR), bp.nn.CrossEntropyLoss(), [],
                adversary=functools.partial(fgsm, eps=EPS), adversarial_weight=weight)


def test_a_numpy_weight_is_a_number():
    model = _model()
    trainer = Trainer(model, bp.optim.SGD(model.parameters(), lr=LR), bp.nn.CrossEntropyLoss(), [],
                      adversary=functools.partial(fgsm, eps=EPS), adversarial_weight=np.float32(0.25))
    assert trainer.adversarial_weight == 0.25 and type(trainer.adversarial_weight) is float


def test_an_adversary_that_is_not_a_function_is_refused():
    model = _model()
    with pytest.raises(TypeError, match=r"adversary must be a function \(model, x, y\) -> x_adv"):
        Trainer(model, bp.optim.SGD(model.parameters(), lr=LR), bp.nn.CrossEntropyLoss(), [], adversary=0.1)


# --- a run from its config: `backprop train --adversarial ...`, then `--resume` -------------------------------
@pytest.fixture
def no_report(monkeypatch):
    """run.train without its report (figures and the test set): only the training is checked here."""
    from backprop.train import report

    monkeypatch.setattr(report, "write_report", lambda *args, **kwargs: {})


RUN = dict(model="mlp", model_options={"hidden": [16]}, augment=False, schedule="none", batch_size=128,
           adversarial="pgd", adversarial_eps=0.1)


def _weights(out):
    return {k: v.numpy() for k, v in bp.train.load_checkpoint(str(out / "checkpoint.safetensors"))["model"].items()}


def test_resume_rebuilds_the_adversary_from_the_checkpoints_config(tmp_path, no_report):
    """One epoch, then --resume to two: the weights of two epochs in one go, bit for bit. The resumed run is
    given no adversarial setting (as `backprop train --resume --epochs 2`): the checkpoint's config rebuilds
    the PGD adversary, and the restored generator gives its random starts."""
    from backprop.train import run

    run.train(run.make_config(epochs=2, out=str(tmp_path / "straight"), **RUN))
    run.train(run.make_config(epochs=1, out=str(tmp_path / "parts"), **RUN))
    run.train(run.make_config(epochs=2, out=str(tmp_path / "parts")), resume=True)
    plain = dict(RUN, adversarial=None)
    run.train(run.make_config(epochs=2, out=str(tmp_path / "plain"), **plain))
    straight, resumed = _weights(tmp_path / "straight"), _weights(tmp_path / "parts")
    for key, value in straight.items():
        np.testing.assert_array_equal(resumed[key], value, err_msg=key)
        assert not np.array_equal(_weights(tmp_path / "plain")[key], value)  # the adversary did change the run


def test_resume_of_a_checkpoint_from_before_adversarial_training(tmp_path, no_report):
    """A checkpoint whose config has no adversarial settings resumes as plain training."""
    from backprop.train import run
    from backprop.train.checkpoint import save_checkpoint

    plain = dict(RUN, adversarial=None)
    run.train(run.make_config(epochs=2, out=str(tmp_path / "straight"), **plain))
    run.train(run.make_config(epochs=1, out=str(tmp_path / "old"), **plain))
    path = str(tmp_path / "old" / "checkpoint.safetensors")
    state = bp.train.load_checkpoint(path)
    for key in ("adversarial", "adversarial_eps", "adversarial_weight"):
        del state["config"][key]
    save_checkpoint(state, path)
    run.train(run.make_config(epochs=2, out=str(tmp_path / "old")), resume=True)
    for key, value in _weights(tmp_path / "straight").items():
        np.testing.assert_array_equal(_weights(tmp_path / "old")[key], value, err_msg=key)
