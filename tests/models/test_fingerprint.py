"""Content hash of model weights: what counts, what does not, and the memo of file digests.

XBENCH_HOME is a fresh tmp folder per test (the autouse ``isolated_home`` fixture in tests/conftest.py).
"""

import hashlib
import json
import os
import shutil
import time

import pytest

from xbench.errors import UserError
from xbench.models import fingerprint
from xbench.models.fingerprint import weights_hash



def make_checkpoint(folder, weights=b"\x01" * 4096):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "bert"}')
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "tokenizer.json").write_text('{"vocab": ["a", "b"]}')
    (folder / "xbench_head.json").write_text('{"labels": ["x", "y"]}')
    return folder


@pytest.fixture
def settled(monkeypatch):
    """Trust memo entries of files written just now, as if the checkpoint were saved long before.

    (Entries of files changed within RACY_SECONDS of hashing are re-checked; test files are fresh.)
    """
    monkeypatch.setattr(fingerprint, "RACY_SECONDS", 0.0)


def later_stat(path, seconds=5):
    """Move a file's mtime forward, as a rewrite some seconds after the first write would."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 10**9))


def wait_for_new_ctime(path, old_ctime_ns):
    """Until the file-system clock ticks past ``old_ctime_ns`` (coarse: a few ms), touch ``path``."""
    for _ in range(10_000):
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))
        if path.stat().st_ctime_ns != old_ctime_ns:
            return
        time.sleep(0.001)
    raise AssertionError("file-system clock did not advance")


@pytest.fixture
def hash_calls(monkeypatch):
    """Counts the files whose bytes are actually read and hashed."""
    calls = []
    real = fingerprint.file_sha256

    def counting(path):
        calls.append(path.name)
        return real(path)

    monkeypatch.setattr(fingerprint, "file_sha256", counting)
    return calls


def memo_path(home):
    return home / "cache" / "weights-hashes.json"


def test_same_content_in_two_folders_same_hash(tmp_path):
    a = make_checkpoint(tmp_path / "a")
    b = make_checkpoint(tmp_path / "elsewhere" / "b")
    h = weights_hash(str(a))
    assert h.startswith("sha256:") and len(h) == len("sha256:") + 64
    assert weights_hash(str(b)) == h


def test_one_byte_changed_in_weights_changes_hash(tmp_path):
    a = make_checkpoint(tmp_path / "a")
    b = make_checkpoint(tmp_path / "b", weights=b"\x01" * 4095 + b"\x02")
    assert weights_hash(str(a)) != weights_hash(str(b))


@pytest.mark.parametrize("name", ["config.json", "tokenizer.json", "xbench_head.json"])
def test_config_tokenizer_and_head_count(tmp_path, name):
    a = make_checkpoint(tmp_path / "a")
    before = weights_hash(str(a))
    (a / name).write_text('{"changed": true}')
    assert weights_hash(str(a)) != before


def test_file_names_count(tmp_path):
    a = make_checkpoint(tmp_path / "a")
    before = weights_hash(str(a))
    (a / "model.safetensors").rename(a / "other.safetensors")
    assert weights_hash(str(a)) != before


@pytest.mark.parametrize("extra", ["train_state.pt", "optimizer.pt", "scheduler.pt", "rng_state.pth",
                                   "rng_state_3.pth", "training_args.bin", "README.md", "trainer_state.json",
                                   ".model.safetensors.tmp", ".train_state.pt.tmp"])
def test_training_state_and_extras_do_not_count(tmp_path, extra):
    a = make_checkpoint(tmp_path / "a")
    before = weights_hash(str(a))
    (a / extra).write_bytes(b"optimizer moments and the like")
    assert extra not in fingerprint.identity_files(a)
    assert weights_hash(str(a)) == before


def test_subfolders_are_other_models(tmp_path):
    a = make_checkpoint(tmp_path / "a")
    before = weights_hash(str(a))
    make_checkpoint(a / "best", weights=b"\x09" * 10)
    assert weights_hash(str(a)) == before


def test_every_weight_format_counts(tmp_path):
    a = make_checkpoint(tmp_path / "a")
    for ext in ("bin", "pt", "pth", "msgpack", "h5"):
        before = weights_hash(str(a))
        (a / f"extra.{ext}").write_bytes(b"w")
        assert weights_hash(str(a)) != before, ext


def test_no_weight_files_is_a_user_error(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "train_state.pt").write_bytes(b"state only")
    with pytest.raises(UserError, match=r"^model folder .*empty has no weight files \("):
        weights_hash(str(folder))


def test_hub_ids_are_identified_by_name(tmp_path):
    assert weights_hash("xlm-roberta-base") == "hub:xlm-roberta-base"
    assert weights_hash("sentence-transformers/all-MiniLM-L6-v2") == "hub:sentence-transformers/all-MiniLM-L6-v2"


def test_missing_local_path_and_file_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        weights_hash(str(tmp_path / "nope"))
    with pytest.raises(UserError, match="does not exist"):
        weights_hash("./no/such/folder")
    (tmp_path / "model.bin").write_bytes(b"w")
    with pytest.raises(UserError, match="is a file, not a checkpoint folder"):
        weights_hash(str(tmp_path / "model.bin"))


def test_file_sha256_streams_whole_file(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one read chunk
    (tmp_path / "w.bin").write_bytes(data)
    assert fingerprint.file_sha256(tmp_path / "w.bin") == hashlib.sha256(data).hexdigest()


def test_memo_makes_second_call_read_nothing(tmp_path, hash_calls, isolated_home, settled):
    a = make_checkpoint(tmp_path / "a")
    first = weights_hash(str(a))
    assert sorted(hash_calls) == sorted(fingerprint.identity_files(a))
    hash_calls.clear()
    assert weights_hash(str(a)) == first
    assert hash_calls == []
    memo = json.loads(memo_path(isolated_home).read_text())
    assert set(memo) == {str(a.resolve())}
    assert set(memo[str(a.resolve())]) == set(fingerprint.identity_files(a))


def test_memo_keyed_by_resolved_path(tmp_path, hash_calls, settled):
    a = make_checkpoint(tmp_path / "a")
    (tmp_path / "link").symlink_to(a)
    first = weights_hash(str(a))
    hash_calls.clear()
    assert weights_hash(str(tmp_path / "link")) == first
    assert hash_calls == []


def test_rewrite_with_same_size_invalidates(tmp_path, hash_calls, settled):
    a = make_checkpoint(tmp_path / "a")
    first = weights_hash(str(a))
    hash_calls.clear()
    (a / "model.safetensors").write_bytes(b"\x07" * 4096)  # same size, same inode
    later_stat(a / "model.safetensors")
    assert weights_hash(str(a)) != first
    assert hash_calls == ["model.safetensors"]  # only the changed file is read again


def test_replaced_file_with_restored_mtime_invalidates(tmp_path, hash_calls, settled):
    a = make_checkpoint(tmp_path / "a")
    old = (a / "model.safetensors").stat()
    first = weights_hash(str(a))
    new = tmp_path / "new.safetensors"
    new.write_bytes(b"\x07" * 4096)
    os.utime(new, ns=(old.st_atime_ns, old.st_mtime_ns))
    os.replace(new, a / "model.safetensors")  # same size and mtime; the inode tells
    hash_calls.clear()
    assert weights_hash(str(a)) != first
    assert hash_calls == ["model.safetensors"]


def test_rewrite_in_place_with_restored_mtime_invalidates(tmp_path, hash_calls, settled):
    # same size, inode and mtime (as `cp -p` over the old file leaves them): the ctime tells
    a = make_checkpoint(tmp_path / "a")
    weights = a / "model.safetensors"
    old = weights.stat()
    first = weights_hash(str(a))
    with weights.open("r+b") as fh:
        fh.write(b"\x07")
    wait_for_new_ctime(weights, old.st_ctime_ns)
    os.utime(weights, ns=(old.st_atime_ns, old.st_mtime_ns))
    hash_calls.clear()
    assert weights_hash(str(a)) != first
    assert hash_calls == ["model.safetensors"]


def test_rewrite_within_the_same_tick_invalidates(tmp_path):
    # A file rewritten within the file-system clock's tick of being hashed keeps its whole stat (here
    # forced by restoring mtime, with ctime possibly unchanged): entries of freshly changed files are
    # not trusted, so it is hashed again.
    a = make_checkpoint(tmp_path / "a")
    weights = a / "model.safetensors"
    first = weights_hash(str(a))
    st = weights.stat()
    with weights.open("r+b") as fh:  # in place: same inode
        fh.write(b"\x07")
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert weights_hash(str(a)) != first


def test_fresh_files_are_rechecked_once_then_trusted(tmp_path, hash_calls, isolated_home, monkeypatch):
    a = make_checkpoint(tmp_path / "a")
    n_files = len(fingerprint.identity_files(a))
    weights_hash(str(a))
    entries = json.loads(memo_path(isolated_home).read_text())[str(a.resolve())]
    assert all(e["racy"] for e in entries.values())  # just written: re-checked next time
    monkeypatch.setattr(fingerprint, "RACY_SECONDS", 0.0)  # time has passed
    hash_calls.clear()
    weights_hash(str(a))
    assert len(hash_calls) == n_files  # re-checked, now recorded as trusted
    hash_calls.clear()
    weights_hash(str(a))
    assert hash_calls == []


def test_overwritten_checkpoint_folder_changes_hash(tmp_path):
    a = make_checkpoint(tmp_path / "a")
    first = weights_hash(str(a))
    mtimes = {f.name: f.stat().st_mtime_ns for f in a.iterdir()}
    shutil.rmtree(a)
    make_checkpoint(a, weights=b"\x03" * 4096)  # inode numbers may well be reused
    for f in a.iterdir():
        os.utime(f, ns=(mtimes[f.name], mtimes[f.name]))
    assert weights_hash(str(a)) != first


@pytest.mark.parametrize("garbage", ["{not json", "[1, 2, 3]", '{"%s": "oops"}', '{"%s": {"model.safetensors": 5}}'])
def test_corrupt_memo_is_ignored_and_rewritten(tmp_path, isolated_home, hash_calls, settled, garbage):
    a = make_checkpoint(tmp_path / "a")
    expected = weights_hash(str(a))
    memo = memo_path(isolated_home)
    memo.write_text(garbage.replace("%s", str(a.resolve())))
    hash_calls.clear()
    assert weights_hash(str(a)) == expected
    assert hash_calls  # nothing trusted from the corrupt memo
    assert str(a.resolve()) in json.loads(memo.read_text())  # rewritten as valid JSON
    hash_calls.clear()
    assert weights_hash(str(a)) == expected
    assert hash_calls == []


def test_memo_drops_deleted_folders_and_keeps_others(tmp_path, isolated_home):
    a = make_checkpoint(tmp_path / "a")
    b = make_checkpoint(tmp_path / "b", weights=b"\x05" * 10)
    weights_hash(str(a))
    weights_hash(str(b))
    assert set(json.loads(memo_path(isolated_home).read_text())) == {str(a.resolve()), str(b.resolve())}
    shutil.rmtree(a)
    c = make_checkpoint(tmp_path / "c", weights=b"\x06" * 10)
    weights_hash(str(c))
    assert set(json.loads(memo_path(isolated_home).read_text())) == {str(b.resolve()), str(c.resolve())}
