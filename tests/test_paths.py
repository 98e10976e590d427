"""rnncore.files.confine: the rule that keeps a served app's paths inside its folder."""
import os

import pytest

from rnncore.files import confine

pytestmark = pytest.mark.ui  # the app's own logic (rnnviz), with its other tests


@pytest.fixture
def root(tmp_path):
    """A served folder with a subfolder, beside a folder it must not reach."""
    (tmp_path / "served" / "sub").mkdir(parents=True)
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "key.txt").write_text("not yours")
    return tmp_path / "served"


@pytest.mark.parametrize("path", ["model.npz", "sub/model.npz", "sub/../model.npz", "./sub/", "new/dir/x.npz", "."])
def test_a_path_inside_resolves_against_the_root(root, path):
    assert confine(path, root) == (root / path).resolve()


def test_an_absolute_path_inside_the_root_is_allowed(root):
    assert confine(str(root / "sub" / "m.npz"), root) == root.resolve() / "sub" / "m.npz"


@pytest.mark.parametrize("path", ["..", "../secret/key.txt", "sub/../../secret/key.txt", "../served-not/x.npz"])
def test_dot_dot_out_of_the_root_is_refused(root, path):
    with pytest.raises(ValueError, match="outside the folder rnnviz serves"):
        confine(path, root)


def test_an_absolute_path_elsewhere_is_refused(root, tmp_path):
    for path in (str(tmp_path / "secret" / "key.txt"), "/etc/passwd", "/"):
        with pytest.raises(ValueError, match="outside"):
            confine(path, root)


def test_a_symlink_pointing_out_is_refused(root, tmp_path):
    os.symlink(tmp_path / "secret" / "key.txt", root / "key.txt")
    os.symlink(tmp_path / "secret", root / "sub" / "door")
    os.symlink(tmp_path / "secret" / "not-yet.npz", root / "dangling.npz")  # a save would write through it
    for path in ("key.txt", "sub/door/key.txt", "sub/door", "dangling.npz"):
        with pytest.raises(ValueError, match="outside"):
            confine(path, root)


def test_a_symlink_that_stays_inside_is_followed(root):
    os.symlink(root / "sub", root / "alias")
    assert confine("alias/m.npz", root) == root.resolve() / "sub" / "m.npz"


def test_a_root_reached_through_a_symlink_still_confines(root, tmp_path):
    os.symlink(root, tmp_path / "link-to-served")
    linked = tmp_path / "link-to-served"
    assert confine("m.npz", linked) == root.resolve() / "m.npz"
    with pytest.raises(ValueError, match="outside"):
        confine("../secret/key.txt", linked)


def test_a_nul_byte_is_refused(root):
    with pytest.raises(ValueError, match="NUL byte"):
        confine("model\0.npz", root)


def test_a_symlink_loop_is_refused_with_a_message(root):
    os.symlink(root / "loop", root / "loop")
    with pytest.raises(ValueError, match="loop"):
        confine("loop/m.npz", root)
