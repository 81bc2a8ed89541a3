"""Language metadata (codes, family, script, CC-100 size) and typological distances between languages."""

from xbench.languages.metadata import Language, all_languages, get_language, languages_of_task
from xbench.languages.typology import DISTANCE_KINDS, KIND_DESCRIPTIONS, distance, distances_from

__all__ = ["DISTANCE_KINDS", "KIND_DESCRIPTIONS", "Language", "all_languages", "distance", "distances_from",
           "get_language", "languages_of_task"]
