"""Themes: discover recurring problems, name them, map them to categories."""

from .model import UNASSIGNED, ThemeModel
from .taxonomy import Category, load_taxonomy, map_to_categories

__all__ = ["UNASSIGNED", "Category", "ThemeModel", "load_taxonomy", "map_to_categories"]
