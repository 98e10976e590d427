"""Where a checkpoint is written: never through a symlink, never over a device, FIFO or directory, with the
umask's mode, and a place that can't be written to is found before training starts."""
import os
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest

from rnncore import CheckpointError, Embedding, Network, load, save
from rnncore.checkpoint import check_can_save
from rnncore.cli import main

READ_ONLY_EVEN_FOR_ROOT = Path("/sys")  # sysfs refuses new files to everyone, whatever os.access says


@pytest.fixture(autouse=True)
def no_device_is_ever_replaced(monkeypatch):
    """These tests run as root too: a broken save must fail them, not replace /dev/null for the whole machine."""
    for name in ("replace", "rename"):
        real = getattr(os, name)

        def guarded(src, dst, *args, real=real, **kwargs):
            if os.path.realpath(dst).startswith("/dev/"):
                pytest.fail(f"the save tried to replace {dst}")
            return real(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, name, guarded)


def net(seed=5):
    return Network(10, [Embedding(2)], seed=seed)


def names(directory):
    return sorted(p.name for p in Path(directory).iterdir())


@pytest.fixture
def replaces(monkeypatch):
    """The (source, destination) of every os.replace the save makes."""
    calls, replace = [], os.replace

    def recorded(src, dst):
        calls.append((src, dst))
        return replace(src, dst)

    monkeypatch.setattr(os, "replace", recorded)
    return calls


# --- symlinks: never written through ----------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda p: p.symlink_to(p.with_name("kept.npz")),  # to a checkpoint
    lambda p: p.symlink_to(p.with_name("not-yet.npz")),  # dangling: a save would create its target
    lambda p: (p.with_name("b").symlink_to(p.with_name("kept.npz")), p.symlink_to(p.with_name("b"))),  # a chain
    lambda p: p.symlink_to("/dev/null"),
    lambda p: (p.symlink_to(p.with_name("other")), p.with_name("other").symlink_to(p)),  # a loop
], ids=["to a checkpoint", "dangling", "a chain", "to /dev/null", "a loop"])
def test_a_save_onto_a_symlink_is_refused_and_changes_neither_the_link_nor_its_target(tmp_path, make):
    save(tmp_path / "kept.npz", net(seed=1))
    before = (tmp_path / "kept.npz").read_bytes()
    link = tmp_path / "m.npz"
    make(link)
    links = {p.name: os.readlink(p) for p in tmp_path.iterdir() if p.is_symlink()}
    for attempt in (lambda: save(link, net(seed=2)), lambda: check_can_save(link)):
        with pytest.raises(CheckpointError, match=f"{link}: a symlink; a file is never written through one"):
            attempt()
    assert {p.name: os.readlink(p) for p in tmp_path.iterdir() if p.is_symlink()} == links
    assert (tmp_path / "kept.npz").read_bytes() == before and not (tmp_path / "not-yet.npz").exists()
    assert sorted(names(tmp_path)) == sorted(["kept.npz", *links])


def test_a_save_writes_beside_its_target_and_renames_over_it(tmp_path, replaces):
    save(tmp_path / "m.npz", net(seed=1))
    save(tmp_path / "m.npz", net(seed=2))
    assert all(Path(src).parent == tmp_path and Path(dst) == tmp_path / "m.npz" for src, dst in replaces)
    assert load(tmp_path / "m.npz").net.seed == 2 and names(tmp_path) == ["m.npz"]


# --- anything but a regular file is refused, before anything is written -------------------------------
def test_a_fifo_is_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match=f"{fifo}: a FIFO, not a regular file"):
        save(fifo, net())
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and names(tmp_path) == ["pipe.npz"]


def test_dev_null_is_refused_not_replaced():
    before = os.lstat("/dev/null")
    temps = [n for n in os.listdir("/dev") if n.startswith(".null")]
    with pytest.raises(CheckpointError, match="/dev/null: a character device, not a regular file"):
        save("/dev/null", net())
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert [n for n in os.listdir("/dev") if n.startswith(".null")] == temps


def test_a_directory_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    path.mkdir()
    for attempt in (lambda: save(path, net()), lambda: check_can_save(path)):
        with pytest.raises(CheckpointError, match=f"{path}: a directory, not a regular file"):
            attempt()
    assert names(tmp_path) == ["m.npz"] and path.is_dir()


# --- errors name the user's path --------------------------------------------------------------------
@pytest.mark.parametrize("where", [READ_ONLY_EVEN_FOR_ROOT / "m.npz", Path("/nonexistent/dir/m.npz")])
def test_a_failed_save_names_the_users_path_never_the_temporary_file(where):
    with pytest.raises(OSError) as error:
        save(where, net())
    assert error.value.filename == str(where) and ".tmp" not in str(error.value)
    with pytest.raises(OSError) as error:
        check_can_save(where)
    assert error.value.filename == str(where) and ".tmp" not in str(error.value)


def test_a_read_only_directory_stops_training_before_the_first_step(capsys, monkeypatch):
    import rnncore.cli_train

    monkeypatch.setattr(rnncore.cli_train, "train_loop", lambda *a: pytest.fail("training started"))
    path = READ_ONLY_EVEN_FOR_ROOT / "m.npz"
    code = main(["train", "--data", "toy", "--steps", "5", "--save", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith(f"rnncore: error: --save {path}: cannot write there (") and err.count("\n") == 1
    assert ".tmp" not in err


def test_the_probe_leaves_nothing_behind(tmp_path):
    check_can_save(tmp_path / "m.npz")
    assert names(tmp_path) == []


# --- modes ------------------------------------------------------------------------------------------
@contextmanager
def umask(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_checkpoint_has_the_mode_the_umask_gives(tmp_path, mask, mode):
    with umask(mask):
        save(tmp_path / "m.npz", net())
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == mode


def test_a_replaced_checkpoint_keeps_its_mode(tmp_path):
    save(tmp_path / "m.npz", net(seed=1))
    os.chmod(tmp_path / "m.npz", 0o640)
    with umask(0o022):
        save(tmp_path / "m.npz", net(seed=2))
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == 0o640 and load(tmp_path / "m.npz").net.seed == 2
