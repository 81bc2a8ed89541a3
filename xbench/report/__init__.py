"""Self-contained HTML reports of runs (``xbench report``): a small page model and its builder."""

from xbench.report.page import Cell, Config, Figure, Report, Section, Table, Text, render

__all__ = ["Cell", "Config", "Figure", "Report", "Section", "Table", "Text", "build_report", "render"]


def build_report(*args, **kwargs):
    """``xbench.report.build.build_report`` (imported on use: it pulls in the results code)."""
    from xbench.report.build import build_report as build

    return build(*args, **kwargs)
