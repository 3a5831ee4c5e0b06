"""The CS231n experiment scripts run end to end at their --smoke budget.

Each writes its figure, its table (Markdown and CSV) and its curves into --out and prints
the table; fused_vs_composed also shows that the two implementations train alike.
"""

import csv
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

from examples.experiments import (  # noqa: E402
    batchnorm,
    batchnorm_batch_size,
    dropout,
    fused_vs_composed,
    normalizations,
    optimizers,
    weight_scale,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = {
    "batchnorm": batchnorm,
    "batchnorm_batch_size": batchnorm_batch_size,
    "weight_scale": weight_scale,
    "dropout": dropout,
    "optimizers": optimizers,
    "normalizations": normalizations,
    "fused_vs_composed": fused_vs_composed,
}


def _check_outputs(out: Path, name: str, printed: str) -> list[dict]:
    """The PNG, the tables and the curves exist and say something; returns the CSV rows."""
    png = out / f"{name}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5_000  # a drawn figure, not an empty canvas
    table = (out / "results.md").read_text()
    assert table.count("\n|") >= 2 and table in printed
    assert (out / "history.json").stat().st_size > 0
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(rows[0].values())
    return rows


@pytest.mark.parametrize("name", SCRIPTS)
def test_smoke_run_writes_figure_and_table(name, tmp_path, capsys):
    SCRIPTS[name].main(["--smoke", "--out", str(tmp_path)])
    rows = _check_outputs(tmp_path, name, capsys.readouterr().out)
    if name == "fused_vs_composed":
        for row in rows:  # the same training run up to float32 round-off
            assert float(row["max loss diff"]) < 1e-5, row
            assert float(row["max param diff"]) < 1e-5, row
            assert float(row["max logit diff"]) < 1e-4, row
            assert row["val acc fused"] == row["val acc composed"]


def test_configurations_share_initial_weights_and_data(tmp_path):
    # every batch size starts from the same weights: one pass over the same images, so the
    # epoch-0 measurements (before any step) agree exactly between the batch-norm runs
    runs = batchnorm_batch_size.main(
        ["--smoke", "--out", str(tmp_path), "--batch-sizes", "5", "50"]
    )
    bn5, bn50 = runs["batchnorm, batch 5"], runs["batchnorm, batch 50"]
    assert bn5.val_loss[0] == bn50.val_loss[0]
    assert len(bn5.iter_loss) == 100 // 5 and len(bn50.iter_loss) == 100 // 50


def test_normalizations_resnet18(tmp_path, capsys):
    runs = normalizations.main(
        [
            "--smoke",
            "--train-size",
            "20",
            "--model",
            "resnet18",
            "--norms",
            "group",
            "--out",
            str(tmp_path),
        ]
    )
    assert list(runs) == ["group"]
    _check_outputs(tmp_path, "normalizations", capsys.readouterr().out)


def _fake_cifar(root: Path, per_batch: int = 20) -> Path:
    """A cifar-10-batches-py folder in the official format, with random images."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, per_batch).tolist(),
        }
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=4)  # protocol 2 would need _codecs, refused
    return root


@pytest.mark.parametrize("name", ["batchnorm", "normalizations"])
def test_cifar10_option(name, tmp_path, capsys):
    data_dir = _fake_cifar(tmp_path / "data")
    argv = ["--smoke", "--dataset", "cifar10", "--data-dir", str(data_dir)]
    if name == "normalizations":
        argv += ["--norms", "switchable", "--train-size", "40"]
    SCRIPTS[name].main([*argv, "--out", str(tmp_path / "out")])
    printed = capsys.readouterr().out
    assert f"cifar10: {40 if name == 'normalizations' else 100} train / 20 val" in printed
    assert "shape (3, 32, 32)" in printed
    _check_outputs(tmp_path / "out", name, printed)


def test_missing_cifar10_says_where_it_looks(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        dropout.main(["--dataset", "cifar10", "--data-dir", str(tmp_path), "--out", str(tmp_path)])


@pytest.mark.parametrize(
    "name, argv, says",
    [
        ("optimizers", ["--lr", "lbfgs=1"], "NAME=VALUE"),
        ("batchnorm_batch_size", ["--batch-sizes", "1", "5"], "at least 2"),
        ("dropout", ["--ps", "1.0"], "[0, 1)"),
        ("normalizations", ["--model", "resnet18", "--norms", "instance"], "no norm instance"),
        ("batchnorm", ["--epochs", "0"], "must be >= 1"),
    ],
)
def test_bad_arguments_fail_in_one_line(name, argv, says, capsys):
    with pytest.raises(SystemExit) as exit_info:
        SCRIPTS[name].main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and says in err and err.startswith(f"{name}.py: error:")


@pytest.mark.parametrize("how", ["script", "module"])
def test_runs_from_the_command_line(how, tmp_path):
    target = (
        ["examples/experiments/dropout.py"]
        if how == "script"
        else ["-m", "examples.experiments.dropout"]
    )
    result = subprocess.run(
        [sys.executable, *target, "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "| dropout p |" in result.stdout
    assert (tmp_path / "dropout.png").stat().st_size > 0
