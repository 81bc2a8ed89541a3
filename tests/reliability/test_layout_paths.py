"""A layout manifest names files inside the data root: a path climbing out of it (``..``, an absolute
path) is refused with the manifest entry, before anything outside is read."""

from pathlib import Path

import pytest

from xbench.data.errors import DataFileError, LayoutError
from xbench.data.manifest import Manifest, plan_cell


def _manifest(path) -> Manifest:
    return Manifest("fake", Path("fake.yaml"), {"tasks": {"t": {"format": "tsv", "splits": {"test": {"path": path}}}}})


@pytest.mark.parametrize("path", ["../outside/{lang}.tsv", "/etc/{lang}.tsv", "ok/../../outside/{lang}.tsv",
                                  ["inside/{lang}.tsv", "../outside/{lang}.tsv"]])
def test_a_path_leaving_the_data_root_is_refused(tmp_path, path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "de.tsv").write_text("a\tb\n")
    with pytest.raises(LayoutError, match=r"fake\.yaml: tasks\.t\.splits\.test: path .* leads outside the data root"):
        plan_cell(_manifest(path), root, "t", "test", "de")


def test_paths_inside_the_root_still_resolve_and_a_folder_in_place_of_a_file_is_located(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "de.tsv").write_text("x\ty\n")
    plan = plan_cell(_manifest("a/./{lang}.tsv"), tmp_path, "t", "test", "de")
    assert [r.path.name for r in plan.reads] == ["de.tsv"]
    (tmp_path / "a" / "fr.tsv").mkdir()
    with pytest.raises(DataFileError, match=r"fr\.tsv: a folder where the layout expects a data file"):
        plan_cell(_manifest("a/{lang}.tsv"), tmp_path, "t", "test", "fr")
