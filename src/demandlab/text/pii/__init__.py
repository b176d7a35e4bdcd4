"""Personal-data masking: typed placeholders instead of numbers and names.

What is masked, in this order (later rules see earlier placeholders):

============ ============================================================ ==============
type         what it catches                                              placeholder
============ ============================================================ ==============
email        name@host.tld, and written to dodge scrapers: ``@qq。com``,    〔邮箱〕
             ``at qq dot com``, ``(at)``, ``#``; any value after 邮箱：
id_number    18-digit (date- or checksum-valid, x/X, spaces or dashes        〔身份证号〕
             anywhere) and 15-digit IDs; any 14–18 digits after 身份证/证件号
passport     E/G + 8 digits, E + letter + 7 digits; any value after 护照      〔护照号〕
permit       港澳通行证 C/W + 8 digits, 回乡证 H/M + 8 or 10 digits; any      〔通行证号〕
             value after 通行证/回乡证/台胞证
bank_card    16–19 digits passing the Luhn check; 4-4-4-4 groups; any 12–19  〔银行卡号〕
             digits after 银行卡/卡号/账号, Luhn or not
mobile       1[3-9]x xxxx xxxx in digits or Chinese numerals (一三九…,       〔手机号〕
             幺三七…, mixed), +86/0086, spaces, dashes or dots anywhere
landline     0xx(x)-xxxxxxx(x), (0xx)xxxxxxxx, extensions; any 7+ digits      〔座机号〕
             after 电话/座机/号码 that are not a mobile
qq / wechat  the value after QQ / 微信 / VX labels                            〔QQ号〕/〔微信号〕
plate        province + letter + 5 (6 for new-energy) in any case, with     〔车牌号〕
             spaces or middle dots, O/I written for 0/1; any value after 车牌
room         3栋2单元501(室), 5栋1102, 3门402, B座1203, 5楼502, 3-2-501,     〔房号〕
             501室, 房号/住在 + number
house_number the number of a house in a lane: 某某里17号, 某巷3号, 123弄45号   〔门牌号〕
name         any value after 姓名/联系人/户主/业主/当事人… (also ``姓 名：``   〔姓名〕
             and JSON ``"姓名": "…"``); a name after a role or a
             self-reference (业主X, 我是X, 本人X, 租户小X, 独居老人X); later
             names of a list (〔姓名〕、X); 王先生 / 李阿姨 / 张师傅 / 王主任;
             我姓王, 我叫…
============ ============================================================ ==============

It leaves what analysts need: the 12345 line and 110/119/120, dates and times,
money, counts, years, bus routes (3路), building and unit numbers (3栋2单元),
road numbers (人民路123号: a road number locates a building, not a household),
postcodes (a postcode covers thousands of households: not personal), and
numbers labelled as work-order, order or case numbers (工单号…). Text is expected
to be normalised first (:func:`demandlab.text.normalize`): full-width digits are
ASCII, and zero-width and bidirectional control characters are gone.

A name without a label is told from words by the jieba dictionary shipped with the package
(业主方面, 村民都知道, 市民来电反映 stay; see ``names._name_check``): a candidate that is a common
word, or starts with a rare surname that is mostly a word's first character, is a name only
when a verb of speaking or a phone follows it.

Beyond free text, :func:`mask_dept`, :func:`mask_building` and
:func:`grid_worker_keys` clean the columns that hold a unit, a place or a
member of staff.

Where each part lives: :mod:`.rules` (placeholders, gates, :class:`Rule`), :mod:`.numbers`
(e-mail, documents, cards, phones, accounts, plates), :mod:`.places` (rooms, house numbers),
:mod:`.names` (word lists and name rules), :mod:`.free_text` (all rules in order: :func:`mask`),
:mod:`.columns` (units, buildings, grid workers, contact keys).
"""

from __future__ import annotations

from .columns import contact_keys, grid_worker_keys, mask_building, mask_dept, normalize_contact
from .free_text import RULES, find_pii, mask, mask_one
from .names import (
    COMPOUND_SURNAMES,
    CONTEXT_WORDS,
    HONORIFICS,
    NAME_LABELS,
    ROLE_WORDS,
    SURNAMES,
    TITLES,
    reads_as_word,
)
from .numbers import id_checksum_ok, luhn_ok
from .rules import PLACEHOLDER, PLACEHOLDER_PATTERN, Rule

__all__ = [
    "COMPOUND_SURNAMES",
    "CONTEXT_WORDS",
    "HONORIFICS",
    "NAME_LABELS",
    "PLACEHOLDER",
    "PLACEHOLDER_PATTERN",
    "ROLE_WORDS",
    "RULES",
    "SURNAMES",
    "TITLES",
    "Rule",
    "contact_keys",
    "find_pii",
    "grid_worker_keys",
    "id_checksum_ok",
    "luhn_ok",
    "mask",
    "mask_building",
    "mask_dept",
    "mask_one",
    "normalize_contact",
    "reads_as_word",
]
