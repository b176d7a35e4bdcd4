"""Names: after a label (姓名：…), a role or a self-reference (业主王建国, 我是李明), before an
honorific or a title (王女士, 李师傅), and the later names of a list.

A name without a label is told from words by the jieba dictionary shipped with the package
(业主方面, 村民都知道, 市民来电反映 stay; see ``_name_check``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from .rules import _CJK, _CJK_CHAR, Rule, Span

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤"
    "向常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴"
    "霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景"
    "党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封"
    "谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰"
    "支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危"
    "玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "尉迟",
    "公孙",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "端木",
)
# characters that are surnames but far more often a preposition or verb right before a name or title
_NOT_BEFORE_HONORIFIC = set("和与对给跟被把让叫请找问帮替为同")
HONORIFICS = (
    "先生",
    "女士",
    "小姐",
    "阿姨",
    "大爷",
    "大妈",
    "大娘",
    "奶奶",
    "爷爷",
    "大姐",
    "大哥",
    "老太",
    "老伯",
    "叔叔",
    "伯伯",
    "婆婆",
    "阿婆",
    "大叔",
    "大婶",
    "大嫂",
)
# titles that also follow prepositions (向老师反映, 于师傅处): 向 / 于 are not taken as surnames before them
TITLES = (
    "老师",
    "师傅",
    "同志",
    "主任",
    "书记",
    "经理",
    "队长",
    "站长",
    "所长",
    "科长",
    "局长",
    "处长",
    "部长",
    "组长",
    "院长",
    "校长",
    "医生",
    "大夫",
    "警官",
    "律师",
    "会计",
    "老板",
    "教练",
    "护士",
)
#: labels after which the value is a name whatever it looks like (fail-closed)
NAME_LABELS = (
    "联系人姓名",
    "紧急联系人",
    "业主姓名",
    "户主姓名",
    "租户姓名",
    "居民姓名",
    "老人姓名",
    "客户姓名",
    "用户姓名",
    "真实姓名",
    "被走访人",
    "走访对象",
    "服务对象",
    "姓名",
    "名字",
    "称呼",
    "联系人",
    "举报人",
    "投诉人",
    "来电人",
    "反映人",
    "当事人",
    "申请人",
    "求助人",
    "报警人",
    "监护人",
    "代理人",
    "委托人",
    "负责人",
    "经办人",
    "收件人",
    "承租人",
    "出租人",
    "户主",
    "业主",
    "房主",
    "房东",
    "租户",
    "住户",
    "患者",
    "家属",
    "网格员",
)
_LATIN_NAME_KEYS = ("real_name", "realname", "contact_name", "user_name", "username", "contact", "owner", "name")
#: words after which a name often follows without a colon (业主王某, 我是李明, 独居老人张秀英)
CONTEXT_WORDS = (
    "我是",
    "本人",
    "独居老人",
    "空巢老人",
    "孤寡老人",
    "高龄老人",
    "留守老人",
    "留守儿童",
    "重点关爱对象",
    "低保户",
    "残疾人",
    "困难户",
    "老人",
    "居民",
    "市民",
    "村民",
    "网友",
    "车主",
    "租客",
    "房客",
    "邻居",
    "老伴",
    "儿子",
    "女儿",
    "丈夫",
    "妻子",
    "爱人",
    "母亲",
    "父亲",
    "孙子",
    "孙女",
    "老公",
    "老婆",
    "孩子",
    "学生",
    "病人",
    "网格长",
    "社工",
    "楼长",
    "志愿者",
    "快递员",
    "外卖员",
    "保姆",
)
#: words that end in a surname character and come right before an honorific or title: 保安师傅, 其余老师
ROLE_WORDS = frozenset(
    """
    保安 门卫 维修 装修 宿管 社区 语文 音乐 主任 物管 网格 楼长 班长 村长 队长 校长 院长 所长 站长 店长
    厂长 组长 科长 局长 处长 部长 司机 保洁 护工 月嫂 家政 厨房 食堂 后勤 城管 交警 民警 辅警 法官 律师
    医生 护士 党员 居民 市民 业主 住户 租户 网友 同事 邻居 老人 小孩 孩子 学生 家长 员工 领导 干部
    其余 业余 多余 剩余 课余 之余 历史 片区 辖区 园区 景区 小区 城区 街区 校区 厂区 新区 老区 山区 郊区
    修车 开车 洗车 租车 公安 治安 平安 保安 联防 消防 国防 人防 驾校 学校 党校 高校 车管 主管 分管 监管
    托管 接管 房管 网管 总管 交管 城关 海关 机关 公关 相关 有关 无关 过关 把关 攻关 难关 关于 文明 光明
    说明 证明 查明 表明 标明 声明 注明 讲明 言明 分明 透明 指明 阐明 写明 载明 聪明 失明 清明 黎明
    公司 工商 售楼
    """.split()
)
# words that are not names although they read like 小/老 + surname (小区, 老公): checked on the nickname form
_NOT_NICKNAMES = frozenset(
    """
    小区 小时 小孩 小姐 小学 小卖 小吃 小路 小巷 小院 小河 小组 小伙 小型 小事 小车 小店 小贩 小狗 小猫
    小朋 小年 小雨 小米 小麦 小便 小心 小说 小品 小家 小名 小额 小微 小康 小满 小寒 小暑 小海
    老师 老公 老区 老房 老楼 老车 老旧 老年 老化 老家 老伴 老板 老人 老乡 老式 老是 老太 老汉 老街 老城
    老宅 老屋 老树 老鼠 老虎 老大 老二 老三 老实 老早 老毛 老百 老干 老党 老同 老方 老字 老总 老伯 老婆
    阿姨 阿婆 阿公 阿伯 阿拉
    """.split()
)
# where a name written after a role, a label or a self-reference ends
_NAME_END_WORDS = (
    "反映|称|表示|说|讲|来电|电话|手机|联系|投诉|举报|报警|求助|诉求|要求|希望|住|家|的|在|今年|夫妇|一家|等|"
    "也|都|均|已|是|因|到|去|来|请|想|经常|每天|多次|反复|走访|上门|入户|同意|不同意|身份证|性别|年龄|男|女|岁|"
    "两人|三人|几人|"
    "和|与|及|、"
)
# ends that make a name of even a common word (业主高峰反映 …): the person speaks or is reached
_STRONG_END = re.compile("反映|称|表示|说|讲|来电|电话|手机|联系|投诉|举报|报警|求助|今年|夫妇|一家|身份证")
_NOT_VALUES = frozenset("不详 未知 无 暂无 匿名 保密 略 空 待核实 未提供 不愿透露 本人 同上 见上 略去".split())
_FUNCTION_CHARS = "的了是在与及或也都就还又很不没未这那们着过吗呢吧啊呀说称把被让给向于从对等已"


@cache
def _dictionary() -> tuple[dict[str, int], frozenset[str]]:
    """From the jieba dictionary shipped with the package (no download), two word lists.

    * words of 2–3 characters that begin like a name (方面, 居民, 小区, 老公), with their
      frequency; a word tagged as a person name counts only when frequent (明白, 文明, 阳光 are
      tagged so too);
    * very frequent two-character words (如此, 知道, 中心, 使用): a name's given part is never one
      (建国, a given name, is far below the threshold).
    """
    starts = set(SURNAMES) | set("小老阿")
    name_like: dict[str, int] = {}
    frequent: set[str] = set()
    text = resources.files("jieba").joinpath("dict.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        word, freq, tag = line.split(" ")
        n = len(word)
        if n > 3 or n < 2:
            continue
        f = int(freq)
        if n == 2 and f >= _FREQUENT_WORD:
            frequent.add(word)
        if word[0] in starts and ((tag not in ("nr", "nrfg", "nrt") and f >= 20) or (n == 2 and f >= 300)):
            name_like[word] = f
    return name_like, frozenset(frequent)


# above these frequencies a word is never a name, even when what follows reads like a person speaking
_ALWAYS_A_WORD = 3000
_FREQUENT_WORD = 5000
_PREFIX_WORD = 1000
# the hundred commonest surnames (SURNAMES up to 向) name a person after a role word on their own; a rarer
# surname is far more often a word's first character (都要, 连电, 来住, 房爆破) and needs a person speaking
_COMMON_SURNAMES = frozenset(SURNAMES[: SURNAMES.index("向")]) - {"于"}
# a name never ends in these: 田庄村, 江南里, 东方新城 are places
_PLACE_END = frozenset("村镇县区市路街店厂苑府城里园庭湾岛港寓厦居阁轩墅邸校馆站局所队组部社处科室")


def _is_common_word(candidate: str) -> bool:
    return candidate in _dictionary()[0] or candidate[:2] in _NOT_NICKNAMES


def reads_as_word(name: str) -> bool:
    """True if a name reads as a common word, wholly or in part (白河, 高峰, 小区, 韩国刚).

    Such a name is masked only where a label or a speaking verb marks it as a name; the synthetic
    district does not plant one where only a role word does, since a person would not read it as
    a name either.

    >>> reads_as_word("白河"), reads_as_word("王建国")
    (True, False)
    """
    name_like, frequent = _dictionary()
    return (
        name in name_like
        or name[:2] in name_like
        or name[:2] in _NOT_NICKNAMES
        or (len(name) == 3 and name[1:] in frequent)
    )


def _name_check(m: re.Match[str], label: bool, listed: bool = False) -> Span | None:
    """Is group ``v`` a name, or words that read like one (业主方面, 村民都知道, 市民来电反映)?

    Two doubts make a candidate words: it is in the dictionary (高峰, 来电), or its surname is a
    rare one that is far more often a word's first character (都, 连, 来). Both together: words.
    One alone is cleared by what follows: a verb of speaking or a phone (业主高峰反映), or, after a
    label, the end of the phrase (投诉人于晨。). A name never runs into a frequent word (本人申请国家,
    时期正是; but in a list of names 叶子清 is one) nor ends like a place (田庄村).
    """
    value, end, text = m.group("v"), m.end("v"), m.string
    if value in _NOT_NICKNAMES or value[:2] in _NOT_NICKNAMES or value[-1] in _PLACE_END:
        return None
    name_like, frequent = _dictionary()
    runs_on = end < len(text) and _CJK_CHAR.match(text, end) is not None
    strong = _STRONG_END.match(text, end) is not None
    common_surname = value[0] in _COMMON_SURNAMES or bool(_COMPOUND_START.match(value))
    if len(value) == 3 and value[1:] in frequent and not (label and not runs_on and common_surname):
        return None  # 村民都知道, 举报人于今年; but 投诉人邵建成。 is a name
    if len(value) == 3 and runs_on and not listed and name_like.get(value[:2], 0) >= _PREFIX_WORD:
        return None
    freq = name_like.get(value)
    if freq is not None and freq >= _ALWAYS_A_WORD:
        return None
    word = freq is not None
    rare = not (value[0] in _COMMON_SURNAMES or value[0] in "小老阿" or _COMPOUND_START.match(value))
    if word and rare:
        return None
    if value[0] in "向于":  # 向物业反映, 于上周反映: prepositions, unless a label's phrase ends with the name
        return (m.start("v"), end, "name") if label and not runs_on and not word else None
    if (word or rare) and not (strong or (label and not runs_on)):
        return None
    return m.start("v"), end, "name"


def _listed_name(m: re.Match[str]) -> Span | None:
    """A later name of a list (当事人〔姓名〕、叶子清): the list says it is a name, as a label would.

    After a comma the list may have ended (姓名：〔姓名〕，银杏府11栋…): a rare surname then needs a
    person speaking, as after a role word.
    """
    comma = "，" in m.group("pre") or "," in m.group("pre")
    if comma and m.string[m.end("v") : m.end("v") + 1].isdigit():  # 〔姓名〕，东方雅居7号楼: a place
        return None
    return _name_check(m, label=not comma, listed=True)


def _contextual_name(m: re.Match[str]) -> Span | None:
    """A name after a role or a self-reference (业主王建国反映, 我是李明，), see :func:`_name_check`."""
    return _name_check(m, label=False)


_CUT = re.compile(
    "反映|称|表示|说|来电|电话|手机|联系|性别|年龄|身份证|地址|住址|户籍|现住|住在|家住|先生|女士|同志|投诉|举报|"
    "要求|希望|报警|求助|诉求|今年|夫妇|等人|一家|男|女|岁|家|住|的"
)
_ROLE_PREFIX = re.compile("|".join(sorted((w for w in CONTEXT_WORDS if w not in ("我是", "本人")), key=len)[::-1]))
_COMPOUND_START = re.compile("|".join(COMPOUND_SURNAMES))
_SURNAME_BEFORE_TITLE = re.compile(
    "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + SURNAMES + "])(?=" + "|".join(HONORIFICS + TITLES) + ")"
)


def _label_value(m: re.Match[str]) -> Span | None:
    """The value after a name label and a colon: masked whatever it looks like, up to a boundary.

    A quoted value (JSON) or a Latin one is masked whole. Otherwise a role written first stays
    (走访对象：独居老人王某), a surname before an honorific is masked alone (联系人：王先生), and a
    value that begins with a verb is speech, not a name (业主：反映楼上漏水). The name runs to the
    first word that begins what follows it (张三性别男 → 张三); a value that stands alone as the
    field (up to 8 characters, then punctuation) is masked whole (户主：阿布都热依木); else three
    characters are taken (four after a compound surname): a name that runs on into the sentence
    loses a following character rather than keeps one of its own.
    """
    start = m.start("v")
    value = m.group("v")
    if value in _NOT_VALUES:
        return None
    if m.group("q3") or value[0].isascii():
        return start, m.end("v"), "name"
    role = _ROLE_PREFIX.match(value)
    if role:
        start += role.end()
        value = value[role.end() :]
        if not value or value in _NOT_VALUES:
            return None
    if _CUT.match(value):
        return None
    honorific = _SURNAME_BEFORE_TITLE.match(value)
    if honorific:
        return start, start + honorific.end(), "name"
    longest = 4 if _COMPOUND_START.match(value) or "·" in value[:5] else 3
    cut = _CUT.search(value, longest - 1)
    if cut is not None:
        return start, start + cut.start(), "name"
    ended = m.end("v") == len(m.string) or not _CJK_CHAR.match(m.string, m.end("v"))
    if len(value) <= 8 and ended:
        return start, start + len(value), "name"
    return start, start + min(longest, len(value)), "name"


def _unless_role(m: re.Match[str]) -> Span | None:
    """Mask the surname unless it ends a word (保安师傅, 社区阿姨, 其余老师)."""
    start = m.start("v")
    if start > 0 and m.string[start - 1 : start + 1] in ROLE_WORDS:
        return None
    return start, m.end("v"), "name"


def _spaced(word: str) -> str:
    """A label as people type it in forms, with spaces between its characters: 姓 名："""
    return r"\s?".join(re.escape(c) for c in word)


_SUR = "[" + SURNAMES + "]"
_SUR_HON = "[" + "".join(c for c in SURNAMES if c not in _NOT_BEFORE_HONORIFIC | {"阿", "师"}) + "]"
# 向/于 read as prepositions before a title (向老师反映); 车/班/位 end words (修车师傅, 值班医生, 这位医生)
_SUR_TITLE = "[" + "".join(c for c in SURNAMES if c not in _NOT_BEFORE_HONORIFIC | set("向于车班位阿")) + "]"
_SUR_CTX = "[" + "".join(c for c in SURNAMES if c not in _NOT_BEFORE_HONORIFIC) + "]"
_COMPOUND = "|".join(COMPOUND_SURNAMES)
_HON_OR_TITLE = "|".join(HONORIFICS + TITLES)
_GIVEN = f"(?![{_FUNCTION_CHARS}])[{_CJK}]"
# a name: a surname and one or two given characters (never a surname followed by an honorific,
# which the honorific rule masks as 〔姓名〕女士), or a nickname: 小王, 老李, 阿强
_NAME = (
    # 韦哲和、高琛德: a given name ending in a character that usually ends a name's phrase (和, 家, 等 …)
    # is whole when a list separator follows it
    rf"(?:(?:{_COMPOUND}|{_SUR_CTX})(?!{_HON_OR_TITLE}){_GIVEN}[和家等住在也都是已](?=[、，,。；;\s])"
    rf"|(?:{_COMPOUND}|{_SUR_CTX})(?!{_HON_OR_TITLE})(?:{_GIVEN}){{1,2}}?|[小老]{_SUR}|阿{_GIVEN})"
)
_END = rf"(?=[^{_CJK}]|$|{_NAME_END_WORDS})"
_LABELS = "|".join(NAME_LABELS)
_LABELS_SPACED = "|".join(_spaced(label) for label in NAME_LABELS)
_CONTEXT = "|".join(sorted(CONTEXT_WORDS, key=len, reverse=True))

# gates: a rule runs only on a text that passes its cheap gates (most texts pass few of them)
_LABEL_GATE = re.compile(_LABELS + "|" + "|".join(_LATIN_NAME_KEYS) + "|姓|名")
_COLON = (":", "：")
_HON_GATE = re.compile(_HON_OR_TITLE)


def _label_name(m: re.Match[str]) -> Span | None:
    """A name after a label without a colon (投诉人王伟); 行业主管 is not 业主 + a name."""
    label = m.group("pre").strip()
    if label == "业主" and m.start() > 0 and m.string[m.start() - 1] in "行企创物农商产":
        return None
    # 投诉人于晨。: a label naming a person (…人, 姓名) vouches for what ends the phrase; 业主许可， does not
    return _name_check(m, label=label.endswith("人") or label in ("姓名", "名字", "称呼"))


#: the rules for names, in the order they run (last: they see the placeholders of all others)
NAME_RULES: list[Rule] = [
    # 姓名：…, 姓 名：…, "姓名": "…" — fail-closed: the value is masked whatever it looks like
    Rule(
        "name",
        re.compile(
            rf"(?P<pre>(?:{_LABELS_SPACED}|{'|'.join(_LATIN_NAME_KEYS)})[\"”'」』]?\s*[:：]\s*(?P<q3>[\"“'「『]?)\s*)"
            r"(?P<v>[A-Za-z][A-Za-z.'\-]*(?: [A-Za-z][A-Za-z.'\-]*){0,3}"
            r"|[^\s，。；;,、！？!?\"“”'「」『』（）()【】\[\]<>{}〔〕0-9:：]{1,16})"
        ),
        _label_value,
        needs=(_COLON, _LABEL_GATE),
    ),
    # 投诉人王伟 / 举报人刘洋反映 — no colon: a name, ending where the sentence goes on
    Rule(
        "name",
        re.compile(rf"(?P<pre>(?:{_LABELS})\s?)(?P<v>{_NAME}){_END}"),
        _label_name,
        needs=(_LABEL_GATE,),
    ),
    # 业主王某, 我是李明, 本人张伟, 租户小王, 独居老人张秀英
    Rule(
        "name",
        re.compile(rf"(?P<pre>(?:{_CONTEXT})\s?)(?P<v>{_NAME}){_END}"),
        _contextual_name,
    ),
    # 王女士 / 欧阳先生 / 李阿姨, but not 保安大爷 or 社区阿姨
    Rule(
        "name",
        re.compile(rf"(?P<v>{_COMPOUND}|{_SUR_HON})(?={'|'.join(HONORIFICS)})"),
        _unless_role,
        needs=(_HON_GATE,),
    ),
    # 王师傅 / 李老师 / 张主任, but not 向老师反映, 维修师傅 or 其余老师
    Rule(
        "name",
        re.compile(rf"(?P<v>{_COMPOUND}|{_SUR_TITLE})(?={'|'.join(TITLES)})"),
        _unless_role,
        needs=(_HON_GATE,),
    ),
    Rule(
        "name",
        re.compile(rf"(?P<pre>(?:我|本人|他|她|对方|户主|业主|免贵|贵)姓)(?P<v>{_COMPOUND}|{_SUR})"),
        needs=(("姓",),),
    ),
    # 我叫李明 — but 让我叫驾驶员来: a name, or two or three characters standing alone
    Rule(
        "name",
        re.compile(
            rf"(?P<pre>我叫|本人叫|名叫|我的名字是|名字叫|叫做)"
            rf"(?P<v>(?:{_COMPOUND}|{_SUR})[{_CJK}]{{1,2}}?(?={_NAME_END_WORDS})|[{_CJK}]{{2,3}}(?![{_CJK}]))"
        ),
        needs=(("叫", "名字"),),
    ),
    # the later names of a list: 当事人〔姓名〕、李四、王五
    Rule(
        "name",
        re.compile(rf"(?P<pre>〔姓名〕(?:{_HON_OR_TITLE})?\s*[、,，和及与]\s*)(?P<v>{_NAME}){_END}"),
        _listed_name,
        needs=(("〔姓名〕",),),
        repeat=True,
    ),
]
