"""Run the xbench CLI and SIGKILL it the moment a phase-2 checkpoint's manifest.json is about to be
written: its weights, tokenizer and heads are saved, the record declaring them complete is not.

Usage: python -m helpers.kill_before_manifest xbench-arguments...
"""

import os
import signal
import sys

import xbench.train.intermediate as intermediate


def main() -> None:
    write_atomic = intermediate.write_atomic

    def killed_at_manifest(path, text):
        if path.name == intermediate.MANIFEST:
            os.kill(os.getpid(), signal.SIGKILL)
        return write_atomic(path, text)

    intermediate.write_atomic = killed_at_manifest
    from xbench.cli import cli

    cli(sys.argv[1:], prog_name="xbench")


if __name__ == "__main__":
    main()
