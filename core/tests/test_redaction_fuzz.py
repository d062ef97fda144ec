"""Properties of the redaction engine on generated text: whatever redact_text returns is clean
for identity_findings, redacting twice changes nothing more, and the check finds something
exactly when the redaction would change the text."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.models import ComplainantIdentity
from core.masking import identity_findings, redact_text

ZHANG = ComplainantIdentity(
    contact_name="张三",
    phone="13912345678",
    email="zhangsan@example.com",
    enterprise_name="某某市华兴机械制造有限公司",
    credit_code="91110000802100433B",
)
LANDLINE = ComplainantIdentity(contact_name="欧阳修", phone="0571-88886666", email="ouyang@huaxing.cn")

# Pieces of identities, of ordinary text, and everything that may stand between them.
FRAGMENTS = [
    "张",
    "三",
    "总",
    "经理",
    "老",
    "小",
    "姓",
    "某",
    "欧阳",
    "修",
    "华兴",
    "机械",
    "制造",
    "有限公司",
    "公司",
    "厂",
    "某某市",
    "1",
    "3",
    "9",
    "12345678",
    "139",
    "0571",
    "8888",
    "6666",
    "86",
    "+",
    "00",
    "尾号",
    "后四位",
    "5678",
    "一",
    "三",
    "九",
    "zhangsan",
    "ouyang",
    "at",
    " at ",
    "@",
    "＠",
    "(at)",
    "[at]",
    "艾特",
    "example",
    "huaxing",
    ".",
    "．",
    "dot",
    "点",
    "com",
    "cn",
    "9111",
    "0000",
    "8021",
    "0043",
    "3B",
    "b",
    "X",
    "110101",
    "19900307",
    "1234",
    "市场监管局",
    "检查",
    "罚款",
    "12,345.00元",
    "2026年3月15日",
    "AJ-2026-00012",
    "〔投诉人〕",
    "〔电话〕",
    "〔企业〕",
    "〔邮箱〕",
    "，",
    "。",
    "、",
    "·",
    "-",
    " ",
    "\u3000",
    "\u200b",
    "(",
    ")",
    "（",
    "）",
    "【",
    "】",
    "\n",
]
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
mixed = st.one_of(texts, st.text(alphabet="".join(set("".join(FRAGMENTS))), max_size=60))


@pytest.mark.parametrize(
    "who", [ZHANG, LANDLINE, None, (ZHANG, LANDLINE)], ids=["mobile", "landline", "anonymous", "merged"]
)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mixed)
def test_redacted_text_is_clean_and_stays_as_it_is(who, text):
    redacted = redact_text(text, who)
    assert identity_findings(redacted, who) == []
    assert redact_text(redacted, who) == redacted
    assert (identity_findings(text, who) == []) == (redacted == text)
