"""一老一小: which records concern the elderly, children, or neither, from their (masked) text.

Policy names the elderly and children (一老一小) as focus groups. A record is tagged ``elderly`` when
its matter is about, or borne in particular by, old people or is a service for them (老人, 高龄,
独居老人, 养老服务, 长者食堂, 适老化改造 …), and ``children`` when it is about minors or a service
for them (孩子, 幼儿园, 中小学生, 上学放学, 学位, 托育, 四点半课堂 …). Mentions that look alike but
are not about people are not cues: 老板, 老旧小区, 老街, 老城区, 老师, 老家, 老是, 老化, 老百姓;
nor are university students (大学生, 研究生), a school named only as a landmark (学校 is no cue
by itself), or a worker's own pension contributions (养老保险 is no cue by itself).

The cues are phrases of the language, not of one city; ``tests/text/focus_labels.tsv`` holds 300
real messages labelled by hand against which ``bench/focus_quality.py`` measures them, beside the
plain single-character cues (老 / 孩·童·学·幼) as the baseline. What the cues cannot tell — a child
mentioned in passing in a quarrel between adults, the writer's own age given as background — is
where the errors are. Measured (``bench/results/focus_quality.json``) on the 150 held-out messages:
elderly precision 0.73, recall 0.92 (the single character 老: 0.21, 0.92); children 0.80, 0.90
(孩·童·学·幼: 0.73, 0.97).

>>> focus_tags(["楼道堆物，独居老人出行困难", "老旧小区加装电梯", "放学时段拥堵，学生过马路危险", "老板拖欠工资"])
[['elderly'], [], ['children'], []]
"""

from __future__ import annotations

import re

ELDERLY, CHILDREN = "elderly", "children"
FOCUS_GROUPS = (ELDERLY, CHILDREN)

#: phrases naming old people or a service for them (each a whole word: 老人 is a cue, 老 alone never is)
ELDERLY_CUES = (
    "老人|老年|老龄|高龄|长者|空巢|孤寡|五保户|敬老|适老|助老|为老|居家养老|养老院|养老机构|养老服务|"
    "养老中心|养老服务中心|日间照料|托老|失能|半失能|老大爷|老奶奶|老太太|老太|老大妈|老爷爷|老伯|"
    "大爷|大妈|爷爷|奶奶|姥姥|姥爷|外婆|外公|老伴|老两口|老夫妻|老母|老父|退休老|离退休|退休人员|退休职工|"
    "退休工人|退休教师|助餐|老年食堂|长者食堂|老年证|老人卡|老年卡|高龄补贴|高龄津贴"
)
#: phrases naming minors or a service for them
CHILDREN_CUES = (
    "儿童|孩子|小孩|小朋友|幼儿|婴幼儿|婴儿|宝宝|幼儿园|托育|托儿|托班|未成年|少儿|学童|学龄|"
    "小学|初中|中小学|中学生|小学生|初中生|高中生|学生|上学|放学|上下学|入学|学位|校车|中考|高考|"
    "义务教育|九年一贯|四点半课堂|课后服务|课后托管|留守儿童|学前|幼小|年幼|[初高][一二三]新?生|[初高][一二三]学生"
)
#: words that hold 老 without meaning old people: read first, so 为老 in 为老百姓 or 退休老 in 离退休老干部 is
#: never a cue (a word boundary the lexicon cannot see by itself); and the forms of address after a name
ELDERLY_NOT = (
    "老百姓|老板|老师|老家|老旧|老街|老城|老区|老化|老是|老大难|老干|老居民|老小区|老厂|老房|老宅|老路|老问题|"
    "老大|老总|老乡|老公|老婆|老实|老式|老牌|老字号|老鼠|老虎|"
    # a masked name with an honorific is how a caller is addressed (〔姓名〕大爷反映…), not who the matter is about
    "〔姓名〕(?:老?大爷|老?大妈|老?奶奶|老?爷爷|老伯|老太太?)"
)
#: what holds a children cue without being about minors: adults' schooling (小学文化, 初中毕业), university
#: students and degrees
CHILDREN_NOT = (
    "大学生|研究生|博士生|留学生|学生证|大学|学位证|学位房|大[一二三四]学生|[小初高]中?[学中]?文化|"
    "[小初高][学中]毕业|初中没毕业|小学没毕业"
)
#: where 学生 means students of a college, not pupils (a text with one of these never counts 学生 alone)
COLLEGE = "大学|学院|职院|高职|高校|专科|本科"

_ELDERLY = re.compile(ELDERLY_CUES)
_ELDERLY_NOT = re.compile(ELDERLY_NOT)
_CHILDREN = re.compile(CHILDREN_CUES)
_CHILDREN_NOT = re.compile(CHILDREN_NOT)
_COLLEGE = re.compile(COLLEGE)


def _blank(pattern: re.Pattern, text: str) -> str:
    """``text`` with every match of ``pattern`` blanked out (same length, so nothing new joins up)."""
    return pattern.sub(lambda m: "□" * len(m.group(0)), text)


def _elderly(text: str) -> bool:
    return _ELDERLY.search(_blank(_ELDERLY_NOT, text)) is not None


def _children(text: str) -> bool:
    """A children cue outside the phrases that only look like one; 学生 alone not in a college's text."""
    cues = {m.group(0) for m in _CHILDREN.finditer(_blank(_CHILDREN_NOT, text))}
    if cues == {"学生"} and _COLLEGE.search(text):
        return False
    return bool(cues)


def focus_tags(texts: list[str | None]) -> list[list[str]]:
    """The focus groups of each text: ``['elderly']``, ``['children']``, both, or ``[]`` for neither."""
    tags = []
    for text in texts:
        found = []
        if text:
            if _elderly(text):
                found.append(ELDERLY)
            if _children(text):
                found.append(CHILDREN)
        tags.append(found)
    return tags
