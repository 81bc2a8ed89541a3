"""Checkpoint folders are replaced by renames, and a kill between the renames loses nothing."""

from xbench.paths import replace_folder, restore_replaced, write_atomic


def make(folder, text):
    folder.mkdir()
    (folder / "weights").write_text(text)
    return folder


def test_replace_folder_swaps_in_the_new_copy_and_removes_the_old(tmp_path):
    best = make(tmp_path / "best", "epoch 1")
    replace_folder(make(tmp_path / "best.tmp", "epoch 2"), best)
    assert (best / "weights").read_text() == "epoch 2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best"]


def test_a_kill_between_the_renames_is_undone_on_the_next_run(tmp_path):
    best = make(tmp_path / "best", "epoch 1")
    best.rename(tmp_path / "best.old")            # the first rename happened, then SIGKILL
    restore_replaced(best)
    assert (best / "weights").read_text() == "epoch 1"
    restore_replaced(best)                         # nothing to undo: a no-op
    assert (best / "weights").read_text() == "epoch 1"


def test_write_atomic_takes_text_and_bytes_and_leaves_no_temporary_file(tmp_path):
    write_atomic(tmp_path / "a.json", "{}")
    write_atomic(tmp_path / "b.png", b"\x89PNG")
    assert (tmp_path / "a.json").read_text() == "{}" and (tmp_path / "b.png").read_bytes() == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.png"]
