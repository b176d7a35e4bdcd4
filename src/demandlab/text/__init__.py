"""Text: normalise, mask personal data, segment Chinese.

>>> import demandlab as dl
>>> dl.text.mask(dl.text.normalize(["王女士：电话１３８００１３８０００"]))
['〔姓名〕女士：电话〔手机号〕']
"""

from .clean import clean_records, clean_text
from .normalize import normalize
from .pii import contact_keys, find_pii, mask
from .segment import Segmenter, segment, tokens_frame

__all__ = [
    "Segmenter",
    "clean_records",
    "clean_text",
    "contact_keys",
    "find_pii",
    "mask",
    "normalize",
    "segment",
    "tokens_frame",
]
