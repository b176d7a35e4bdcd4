"""Segmentation quality: governance terms stay whole; SIGHAN 2005 word F1 no worse than jieba's default."""

import pytest
from tests.conftest import shared_data

from demandlab.text import Segmenter

GOVERNANCE = [
    ("楼道里有人飞线充电，电瓶车停在安全出口", ["飞线充电", "电瓶车", "安全出口"]),
    ("老旧小区加装电梯，低楼层住户不同意", ["老旧小区", "加装电梯", "低楼层"]),
    ("长者食堂饭菜太咸，助餐补贴怎么申请", ["长者食堂", "助餐补贴"]),
    ("四点半课堂名额太少，双职工家庭接不了孩子", ["四点半课堂", "双职工"]),
    ("楼道堆物堵塞疏散通道，存在火灾隐患", ["楼道堆物", "疏散通道", "火灾隐患"]),
    ("餐饮油烟扰民，饭店油烟直排，没有安装油烟净化器", ["餐饮油烟", "油烟直排", "油烟净化器"]),
    ("二次供水水箱好久没清洗，出现黄水", ["二次供水", "水箱", "黄水"]),
    ("雨污分流改造后化粪池满溢", ["雨污分流", "化粪池"]),
    ("业委会换届，物业费上涨没有经过业主大会", ["业委会", "物业费", "业主大会"]),
    ("高空抛物砸坏了车，希望安装高空抛物监控", ["高空抛物", "高空抛物监控"]),
    ("占道经营的流动摊贩堵住了盲道", ["占道经营", "流动摊贩", "盲道"]),
    ("违章搭建的彩钢棚压坏了屋面", ["违章搭建", "彩钢棚", "屋面"]),
    ("夜间施工的混凝土搅拌站噪音扰民", ["夜间施工", "混凝土搅拌站", "噪音扰民"]),
    ("消防通道被占用，消防车开不进来", ["消防通道"]),
    ("独居老人需要紧急呼叫设备和居家养老服务", ["独居老人", "紧急呼叫", "居家养老"]),
    ("网格员入户走访时开展反诈宣传", ["网格员", "入户走访", "反诈宣传"]),
    ("农民工讨薪，要求劳动监察介入", ["农民工", "讨薪", "劳动监察"]),
    ("家庭医生签约后从不上门，门诊慢特病怎么认定", ["家庭医生", "门诊慢特病"]),
    ("小事不出网格，接诉即办，未诉先办", ["小事不出网格", "接诉即办", "未诉先办"]),
    ("急难愁盼问题要列入民生实事项目清单", ["急难愁盼", "民生实事", "项目清单"]),
    ("不文明养犬，遛狗不牵绳，狗屎没人清理", ["不文明养犬", "遛狗", "牵绳", "狗屎"]),
    ("充电桩坏了，集中充电棚迟迟不建", ["充电桩", "充电棚"]),
    ("电梯困人半小时，维保单位联系不上", ["电梯困人", "维保单位"]),
    ("暖气片不热，热力公司说室温达标", ["暖气片", "热力公司", "室温"]),
    ("共享单车堆在非机动车道上", ["共享单车", "非机动车"]),
]


@pytest.mark.parametrize(("text", "terms"), GOVERNANCE, ids=[t[:8] for t, _ in GOVERNANCE])
@pytest.mark.parametrize("backend", ["rjieba", "jieba"])
def test_governance_terms_stay_whole(text, terms, backend):
    cut = Segmenter(backend=backend).cut(text)
    for term in terms:
        assert term in cut, (term, cut)


def _spans(words):
    out, i = set(), 0
    for w in words:
        out.add((i, i + len(w)))
        i += len(w)
    return out


def word_f1(predicted, gold) -> float:
    tp = p = g = 0
    for pred, ref in zip(predicted, gold, strict=True):
        a, b = _spans([w for w in pred if w.strip()]), _spans(ref)
        tp, p, g = tp + len(a & b), p + len(a), g + len(b)
    precision, recall = tp / p, tp / g
    return 2 * precision * recall / (precision + recall)


@pytest.mark.parametrize(("corpus", "jieba_default"), [("pku", 0.818), ("msr", 0.812)])
def test_sighan2005_word_f1_is_not_below_jiebas_default(corpus, jieba_default):
    folder = shared_data("sighan2005")
    raw = [line.strip() for line in (folder / f"{corpus}_test.utf8").read_text("utf-8").splitlines()]
    gold = [line.split() for line in (folder / f"{corpus}_test_gold.utf8").read_text("utf-8").splitlines()]
    seg = Segmenter()
    assert word_f1([seg.cut(s) for s in raw], gold) >= jieba_default
