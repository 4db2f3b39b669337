"""``backprop train --distributed`` keeps the command line's guards: rank 0 refuses to replace a finished run (the job
ends with that one line and exit code 2) and the Trainer's options (``--no-check-finite``) reach every rank's
Trainer through ``distributed.run.train``."""
import pytest

from backprop.distributed import run as distributed_run
from backprop.train import run
from tests.distributed.mpi import finish_mpi, requires_mpi
from tests.distributed.test_cli_distributed import start


class _OneRank:
    """What distributed.run.train uses of a World, for one process without MPI."""
    rank, size = 0, 1

    def broadcast_object(self, value):
        return value


def test_trainer_options_and_resume_changes_reach_the_trainer(tmp_path, monkeypatch):
    seen = {}

    class Stop(Exception):
        pass

    def build_trainer(config, callbacks, trainer_class, **options):
        seen.update(config=config, options=options)
        raise Stop

    monkeypatch.setattr(run, "build_trainer", build_trainer)
    monkeypatch.setattr(run, "resume_point", lambda config, changes: ({**config, **changes}, None))
    config = run.make_config(model="mlp", out=str(tmp_path))
    with pytest.raises(Stop):
        distributed_run.train(config, world=_OneRank(), resume=True, changes={"device": "cpu"}, check_finite=False)
    assert seen["options"]["check_finite"] is False and seen["options"]["world"].size == 1
    assert seen["config"]["device"] == "cpu" and seen["config"]["world_size"] == 1


@requires_mpi
def test_rank_0_refuses_to_replace_a_finished_run(tmp_path):
    from backprop.cli import main

    out = tmp_path / "run"
    with pytest.MonkeyPatch.context() as patch:  # a finished run, without the report's figures
        patch.setattr(run, "finish", lambda trainer, test_loader, info: {
            "test_accuracy": 0.0, "test_loss": 0.0, "epochs": trainer.epoch, "out": trainer.config["out"],
            "parameters": 0})
        assert main(["train", "--model", "mlp", "--model-option", "hidden=[8]", "--epochs", "1", "--no-augment",
                     "--progress", "none", "--out", str(out)]) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    code, _, err, _ = finish_mpi(*start(2, "train", "--distributed", "--model", "mlp", "--out", out), 60)
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("backprop")]
    assert lines == [f"backprop train: {out} holds a finished run (checkpoint of 1 epoch); use --resume to go on, "
                     f"--overwrite to replace it, or --name NEW"], err
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
