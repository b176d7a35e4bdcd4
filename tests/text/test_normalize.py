import pytest

from demandlab.text import normalize


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\n\t\t\t\t\t\n\t\t\t\t\t楼道堆物", "楼道堆物"),
        ("路灯不亮&nbsp;请处理", "路灯不亮 请处理"),
        ("一&amp;二 &lt;三&gt;", "一&二 <三>"),
        ("第一句。<br/>第二句<p>第三句</p>", "第一句。 第二句 第三句"),
        ("■ 重要 ★ 提示 ◆", "重要 提示"),
        ("电话１３８００１３８０００，ＡＢＣ", "电话13800138000，ABC"),
        ("電梯壞了，樓道裡很危險", "电梯坏了，楼道里很危险"),
        ("太吵了！！！真的？？", "太吵了！真的？"),
        ("等了很久......还没来。。。", "等了很久…还没来…"),
        ("零宽\u200b空格\ufeff", "零宽空格"),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_removes_what_no_reader_needs(raw, clean):
    assert normalize([raw]) == [clean]


def test_chinese_punctuation_and_what_analysts_need_stay():
    text = "12345热线：3栋2单元，5月1日10:30，费用200元，12路公交。"
    assert normalize([text]) == [text]
