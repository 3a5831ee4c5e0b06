"""The examples run end to end: the main job (with resume), the spiral MLP, fused vs composed."""

import csv
import shutil

import numpy as np
import pytest

from examples import fused_vs_composed, spiral_mlp, train

pytest.importorskip("sklearn")


def _metrics(run):
    with open(run / "metrics.csv") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


def test_train_writes_every_artifact_and_resumes_exactly(tmp_path):
    common = ["--epochs", "3", "--batch-size", "64", "--lr", "3e-3"]
    full = tmp_path / "full"
    history = train.main([*common, "--out", str(full)])
    assert [h["epoch"] for h in history] == [1, 2, 3]
    for name in ("config.json", "checkpoint.npz", "metrics.csv", "curves.png"):
        assert (full / name).stat().st_size > 0, name
    if shutil.which("dot"):
        assert (full / "graph.svg").read_text().lstrip().startswith("<?xml")
    assert history[-1]["test_acc"] > 0.8  # three quick epochs already learn the digits

    stopped = tmp_path / "stopped"
    train.main([*common, "--out", str(stopped), "--no-graph", "--stop-after", "1"])
    assert len(_metrics(stopped)) == 1
    train.main(["--resume", str(stopped)])
    assert _metrics(stopped) == _metrics(full)


def test_train_rejects_bad_arguments_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--model", "transformer"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "invalid choice: 'transformer'" in err


def test_train_explains_missing_cifar(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        train.main(["--dataset", "cifar10", "--data-dir", str(tmp_path), "--out", str(tmp_path)])


def test_train_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a run folder"):
        train.main(["--resume", str(tmp_path)])


def test_spiral_mlp_learns_and_draws_its_graph(tmp_path):
    accuracy = spiral_mlp.main(["--steps", "300", "--out", str(tmp_path)])
    assert accuracy > 0.8
    assert list(tmp_path.glob("graph.*"))


def test_fused_vs_composed_table(tmp_path, capsys):
    out = tmp_path / "table.md"
    fused_vs_composed.main(["--out", str(out)])
    text = out.read_text()
    for layer in ("conv2d", "max_pool2d", "batch_norm", "group_norm", "switchable_norm"):
        assert layer in text
    # every fused-vs-composed difference is round-off
    cells = [line.split("|")[3].strip() for line in text.splitlines()[2:]]
    assert max(float(c) for c in cells) < 1e-10
    assert np.isfinite([float(c) for c in cells]).all()
