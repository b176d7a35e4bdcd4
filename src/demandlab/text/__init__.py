"""Text: normalise, mask personal data, segment Chinese, tag 一老一小 (:mod:`.focus`).

>>> import demandlab as dl
>>> dl.text.mask(dl.text.normalize(["王女士：电话１３８００１３８０００"]))
['〔姓名〕女士：电话〔手机号〕']

The stages over frames (``clean_records``, ``tokens_frame``) import polars on first use,
so that a segmentation worker process starts with only what it needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .focus import FOCUS_GROUPS, focus_tags
from .normalize import normalize
from .pii import contact_keys, find_pii, grid_worker_keys, mask, mask_building, mask_dept
from .segment import Segmenter, segment, tokens_frame

if TYPE_CHECKING:
    from .clean import clean_records, clean_text


def __getattr__(name: str) -> object:
    if name in ("clean_records", "clean_text"):
        return getattr(importlib.import_module(".clean", __name__), name)
    raise AttributeError(f"module 'demandlab.text' has no attribute {name!r}")


__all__ = [
    "FOCUS_GROUPS",
    "Segmenter",
    "clean_records",
    "clean_text",
    "contact_keys",
    "find_pii",
    "focus_tags",
    "grid_worker_keys",
    "mask",
    "mask_building",
    "mask_dept",
    "normalize",
    "segment",
    "tokens_frame",
]
