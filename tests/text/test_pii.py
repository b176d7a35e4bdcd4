"""Masking: hard cases that must be masked and look-alikes that must stay."""

import pytest

from demandlab.text import contact_keys, find_pii, mask, normalize
from demandlab.text.pii import id_checksum_ok, luhn_ok


def _mask(text: str) -> str:
    return mask(normalize([text]))[0]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13800138000", "电话〔手机号〕"),
        ("电话138 0013 8000。", "电话〔手机号〕。"),
        ("电话138-0013-8000", "电话〔手机号〕"),
        ("+86 13800138000", "〔手机号〕"),
        ("+86-138-0013-8000", "〔手机号〕"),
        ("008613800138000", "〔手机号〕"),
        ("手机：１３８００１３８０００", "手机：〔手机号〕"),
        ("回电19912345678谢谢", "回电〔手机号〕谢谢"),
        ("座机0571-88886666", "座机〔座机号〕"),
        ("座机(0571)88886666", "座机〔座机号〕"),
        ("固话021 6234 5678", "固话〔座机号〕"),
        ("051287931645", "〔座机号〕"),
        ("010-62345678转123", "〔座机号〕"),
        ("王师傅来修过", "〔姓名〕师傅来修过"),
        ("身份证号330106199001011234，", "身份证号〔身份证号〕，"),
        ("身份证11010519491231002X", "身份证〔身份证号〕"),
        ("老身份证330106490101123", "老身份证〔身份证号〕"),
        ("银行卡4111 1111 1111 1111", "银行卡〔银行卡号〕"),
        ("车牌浙A12345", "车牌〔车牌号〕"),
        ("车牌浙A·D12345的车", "车牌〔车牌号〕的车"),
        ("苏E 12345F停在门口", "〔车牌号〕停在门口"),
        ("湘AB123挂", "〔车牌号〕"),
        ("邮箱 zhang.san@example.com", "邮箱 〔邮箱〕"),
        ("QQ号：12345678", "QQ号：〔QQ号〕"),
        ("微信号 zhangsan_88", "微信号 〔微信号〕"),
        ("姓名：胡亨。", "姓名：〔姓名〕。"),
        ("联系人：欧阳娜娜，", "联系人：〔姓名〕，"),
        ("投诉人王伟。", "投诉人〔姓名〕。"),
        ("王女士反映", "〔姓名〕女士反映"),
        ("李阿姨家漏水", "〔姓名〕阿姨家漏水"),
        ("向女士说", "〔姓名〕女士说"),
        ("我姓张", "我姓〔姓名〕"),
        ("我叫李明，住在", "我叫〔姓名〕，住在"),
        ("3栋2单元501室漏水", "3栋2单元〔房号〕漏水"),
        ("5号楼2单元302", "5号楼2单元〔房号〕"),
        ("三栋二单元602室", "三栋二单元〔房号〕"),
        ("7栋1203室", "7栋〔房号〕"),
        ("我家是3-2-501。", "我家是3-2-〔房号〕。"),
        ("住在501室", "住在〔房号〕"),
    ],
)
def test_personal_data_is_masked_with_typed_placeholders(text, masked):
    assert _mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "请拨打12345反映",
        "2025年3月5日10:30来电",
        "费用2000元，押金500元",
        "12路公交车和K101路",
        "3栋2单元门口",
        "5号楼楼下",
        "小区门口的垃圾",
        "来电人反映，物业不管",
        "举报人称噪音很大",
        "住了20年，楼高33层",
        "单号20250305",
        "向老师反映过",
        "和阿姨们一起跳舞",
        "面积89.5平方米",
        "2024-10-30 10:00:00",
        "第3网格DH0101",
        "编号GD2025030500012",
        "楼道里有人飞线充电",
    ],
)
def test_look_alikes_that_analysts_need_are_left_alone(text):
    assert _mask(text) == normalize([text])[0]


def test_find_pii_reports_type_and_text():
    assert find_pii("王女士电话13800138000") == [("mobile", "13800138000"), ("name", "王")]


def test_checksums():
    assert id_checksum_ok("11010519491231002X")
    assert not id_checksum_ok("110105194912310021")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


def test_contact_key_is_salted_and_ignores_how_the_number_was_written():
    a, b, c = contact_keys(["138-0013-8000", "+86 13800138000", "13900139000"], b"salt")
    assert a == b != c
    assert contact_keys(["13800138000"], b"other")[0] != a
    assert contact_keys([None, "U12345"], b"salt")[0] is None
