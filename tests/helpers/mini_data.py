"""A small data root in XTREME's download layout, cut from the real PAN-X files in ../shared/data."""

from pathlib import Path


def sentences(path: Path, n: int) -> str:
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    return "\n\n".join(b for b in blocks[:n] if b.strip()) + "\n\n"


def make_panx_root(shared: Path, root: Path, *, train: int = 64, dev: int = 40, langs=("en", "de", "fr")) -> Path:
    panx = root / "panx"
    panx.mkdir(parents=True, exist_ok=True)
    (root / "download.log").write_text("made by tests/helpers/mini_data.py\n")
    (panx / "train-en.tsv").write_text(sentences(shared / "panx" / "train-en.tsv", train), encoding="utf-8")
    for lang in langs:
        (panx / f"dev-{lang}.tsv").write_text(sentences(shared / "panx" / f"dev-{lang}.tsv", dev), encoding="utf-8")
    # XTREME's test files carry tokens only (labels removed): predict-only cells
    tokens_only = "\n".join(line.split("\t")[0] for line in sentences(shared / "panx" / "dev-de.tsv", dev).split("\n"))
    (panx / "test-de.tsv").write_text(tokens_only, encoding="utf-8")
    return root


def head_lines(src: Path, dst: Path, n: int) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, encoding="utf-8", newline="") as f:
        lines = [line for _, line in zip(range(n), f)]
    dst.write_text("".join(lines), encoding="utf-8", newline="")


def make_pipeline_root(shared: Path, root: Path, *, siqa: int = 80, xcopa_langs=("et", "zh"),
                       tatoeba_langs=(("de", "deu"),)) -> Path:
    """A small data root in the shared collection's layout for intermediate-task pipelines: SIQA
    (cut), English COPA (SuperGLUE train/val and the original XML), XCOPA and Tatoeba for a few
    languages (real files, so XCOPA stays parallel to COPA item by item)."""
    import shutil

    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(shared / "SOURCES.md", root / "SOURCES.md")
    (root / "pawsx" / "hf_parquet_export").mkdir(parents=True, exist_ok=True)  # a layout marker only
    shutil.copytree(shared / "copa_en", root / "copa_en")
    for split in ("train", "dev"):
        head_lines(shared / "siqa" / f"{split}.jsonl", root / "siqa" / f"{split}.jsonl", siqa)
        head_lines(shared / "siqa" / f"{split}-labels.lst", root / "siqa" / f"{split}-labels.lst", siqa)
    for lang in xcopa_langs:
        shutil.copytree(shared / "xcopa" / "data" / lang, root / "xcopa" / "data" / lang)
    (root / "tatoeba").mkdir(exist_ok=True)
    for lang, code in tatoeba_langs:
        for side in (code, "eng"):
            name = f"tatoeba.{code}-eng.{side}"
            shutil.copy(shared / "tatoeba" / name, root / "tatoeba" / name)
    return root
