"""``xbench``'s entry point leaves the interpreter's shutdown no full collection over what a command built."""

import gc
import sys

import pytest

from xbench.cli import main


def test_main_freezes_what_is_alive_on_the_way_out(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["xbench", "--help"])
    gc.unfreeze()
    built = [{"spec": i} for i in range(1000)]  # what a command leaves alive
    try:
        with pytest.raises(SystemExit) as exit_info:
            main()
        assert exit_info.value.code == 0
        assert gc.get_freeze_count() >= len(built)
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
    assert "Usage" in capsys.readouterr().out
