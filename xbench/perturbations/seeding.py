"""Each item's random generator, from a stable hash of what identifies its noise.

sha256 (not Python's ``hash()``, which is salted per process) of the perturbation's seed material,
the run seed, task, language and the item's key: the same item gets the same noise whatever the
order, ``--limit``, batch size or number of processes.
"""

from __future__ import annotations

import hashlib
import json
import random


def item_rng(perturbation, seed: int, task: str, language: str, key) -> random.Random:
    material = json.dumps([perturbation.seed_material(), seed, task, language, str(key)], ensure_ascii=False)
    return random.Random(int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], "big"))
