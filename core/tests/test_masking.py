"""The redaction engine: a complainant's identity is recognised however it is written, the rest of
the text is left exactly as it was, and the check (identity_findings) agrees with the redaction."""

import random
import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from complaints.models import ComplainantIdentity
from core.masking import (
    ENTERPRISE_PLACEHOLDER,
    NAME_PLACEHOLDER,
    _identity_rules,
    enterprise_short_forms,
    identity_findings,
    identity_validate,
    redact_text,
)

PHONE, EMAIL, CODE, ID_NUMBER = "〔电话〕", "〔邮箱〕", "〔信用代码〕", "〔身份证号〕"
NAME_LABEL = "the complainant's name"
PHONE_LABEL = "the complainant's phone number"
EMAIL_LABEL = "the complainant's e-mail address"
ENTERPRISE_LABEL = "the complainant's enterprise"
CODE_LABEL = "the complainant's credit code"


def identity(**overrides) -> ComplainantIdentity:
    values = {
        "contact_name": "张三",
        "phone": "13912345678",
        "email": "zhangsan@example.com",
        "enterprise_name": "某某市华兴机械制造有限公司",
        "credit_code": "91110000802100433B",
    }
    values.update(overrides)
    return ComplainantIdentity(**values)


ZHANG = identity()


@pytest.fixture(autouse=True)
def _english():
    # The labels are compared in English, whatever the catalogue says in Chinese.
    with translation.override("en"):
        yield


def assert_redacted(form: str, replaced: str, label: str, who=ZHANG) -> None:
    """``form`` inside a sentence is replaced by ``replaced``, the rest is unchanged, the check
    names ``label`` before and nothing after."""
    text = f"反映人称：{form}。执法大队一个月内上门检查四次。"
    redacted = redact_text(text, who)
    assert redacted == f"反映人称：{replaced}。执法大队一个月内上门检查四次。"
    assert label in identity_findings(text, who)
    assert identity_findings(redacted, who) == []


# --- Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    ["张三", "张 三", "张·三", "张-三", "张\u200b三", "张\u3000三", "张、三", "张_三", "张 . 三", "张・三"],
)
def test_a_name_is_found_with_spaces_punctuation_or_zero_width_characters_inside(form):
    assert_redacted(form, NAME_PLACEHOLDER, NAME_LABEL)


@pytest.mark.parametrize(
    "form", ["ZhangSan", "Zhang San", "ｚｈａｎｇ ｓａｎ", "ＺＨＡＮＧ-ＳＡＮ", "Mr. Zhang", "Ms San"]
)
def test_a_latin_name_is_found_in_any_case_full_width_and_with_a_title(form):
    assert_redacted(form, NAME_PLACEHOLDER, NAME_LABEL, who=identity(contact_name="Zhang San"))


def test_a_latin_name_inside_a_longer_word_is_not_the_name():
    latin = identity(contact_name="Zhang San")
    assert identity_findings("Zhang Sanming wrote to us.", latin) == []


@pytest.mark.parametrize(
    "form",
    [
        "张总",
        "张经理",
        "张董",
        "张主任",
        "张老板",
        "张先生",
        "张女士",
        "老张",
        "小张",
        "张某",
        "张某某",
        "张副总",
        "张总经理",
        "张 总",
        "姓张",
    ],
)
def test_the_surname_with_a_title_is_the_complainant(form):
    assert_redacted(form, NAME_PLACEHOLDER, NAME_LABEL)


@pytest.mark.parametrize("form", ["欧阳总", "欧阳经理", "老欧阳", "欧阳修"])
def test_a_compound_surname_is_taken_whole(form):
    assert_redacted(form, NAME_PLACEHOLDER, NAME_LABEL, who=identity(contact_name="欧阳修"))


def test_a_title_after_another_surname_is_not_the_complainant():
    assert identity_findings("王总和李经理都说要整改。", ZHANG) == []
    # Only 欧 of 欧阳: the compound surname is not split.
    assert identity_findings("欧总说要整改。", identity(contact_name="欧阳修")) == []


@pytest.mark.parametrize(
    ("surname_name", "text"),
    [
        ("周明", "上周总经理来了一次,每周总结都要交。"),
        ("金华强", "资金总额不够,押金总计三万元,小金库去向不明。"),
        ("张三", "一张总表也没给,两张经理签过字的单子。"),
        ("于海", "请于某日前整改,小于规定时限,用于总部建设,至于主任怎么说。"),
        ("向东", "我们向经理反映,也向主任反映过。"),
        ("方正", "对方老板说不归他管,双方经理都同意。"),
        ("任平", "担任经理的人签字,责任主任不在。"),
        ("司伟", "公司总经理和公司老板都知道。"),
        ("门强", "部门经理说要整改,部门主任同意。"),
        ("安琪", "公安局长也知道,治安主任来过。"),
        ("时光", "当时总共来了三个人,同时经理也来了,一小时内完成。"),
        ("文静", "文书记录不全,公文书记员签收。"),
        ("常青", "我们经常总是被检查。"),
        ("高峰", "提高总体水平,最高总额五千元。"),
        ("原野", "原先生产的产品被扣押。"),
        ("张三", "签字的人不是张,经理说他不在。"),
    ],
)
def test_ordinary_words_that_contain_a_surname_and_a_title_are_left_alone(surname_name, text):
    who = identity(contact_name=surname_name)
    assert identity_findings(text, who) == []
    assert redact_text(text, who) == text


# --- Phones -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        "13912345678",
        "１３９１２３４５６７８",
        "139 1234 5678",
        "139-1234-5678",
        "139.1234.5678",
        "139–1234–5678",
        "(139)1234-5678",
        "+86 139 1234 5678",
        "+86-13912345678",
        "0086 13912345678",
        "8613912345678",
        "（＋８６）１３９　１２３４　５６７８",
        "1\u200b3\u200b9\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8",
        "一三九一二三四五六七八",
        "幺三九 幺二三四 五六七八",
    ],
)
def test_the_complainants_mobile_is_found_in_full_width_with_separators_and_country_code(form):
    assert_redacted(form, PHONE, PHONE_LABEL)


@pytest.mark.parametrize(
    ("form", "replaced"),
    [
        ("手机尾号12345678", f"手机尾号{PHONE}"),
        ("尾号 2345678", f"尾号 {PHONE}"),
        ("号码后八位1234 5678", f"号码后八位{PHONE}"),
        ("尾号5678", f"尾号{PHONE}"),
        ("手机后四位 5678", f"手机后四位 {PHONE}"),
        ("尾号为45678", f"尾号为{PHONE}"),
    ],
)
def test_the_complainants_mobile_is_found_by_its_last_digits(form, replaced):
    assert_redacted(form, replaced, PHONE_LABEL)


def test_a_short_tail_without_saying_so_is_not_the_phone_and_neither_is_another_numbers_end():
    assert PHONE_LABEL not in identity_findings("罚款5678元。", ZHANG)
    assert PHONE_LABEL not in identity_findings("对方座机0571-12345678。", ZHANG)


@pytest.mark.parametrize(
    "form", ["0571-88886666", "(0571)8888 6666", "0571 8888-6666", "+86 571 8888 6666", "８８８８６６６６"]
)
def test_the_complainants_landline_is_found_with_or_without_its_area_code(form):
    assert_redacted(form, PHONE, PHONE_LABEL, who=identity(phone="0571-88886666"))


# --- E-mail -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        "zhangsan@example.com",
        "ZhangSan@Example.COM",
        "zhangsan at example.com",
        "zhangsan AT example dot com",
        "zhangsan(at)example dot com",
        "zhangsan[at]example.com",
        "zhangsan【at】example【dot】com",
        "zhangsan＠example．com",
        "zhangsan 艾特 example.com",
        "zhangsan艾特example点com",
        "zhangsan # example.com",
        "zhangsan @ example . com",
        "zhangsan",  # the handle alone (often a WeChat id)
        "example.com",  # the enterprise's own domain
    ],
)
def test_the_complainants_email_is_found_written_out(form):
    assert_redacted(form, EMAIL, EMAIL_LABEL)


def test_a_mail_providers_domain_alone_is_not_the_complainants_address():
    qq = identity(email="123456789@qq.com")
    assert identity_findings("请用qq.com邮箱联系。", qq) == []
    assert_redacted("123456789", EMAIL, EMAIL_LABEL, who=qq)


# --- Enterprise -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        "某某市华兴机械制造有限公司",
        "华兴机械制造有限公司",
        "华兴机械制造 有限公司",
        "华兴机械制造",
        "华兴机械",
        "华兴",
        "华 兴 机 械",
        "华兴公司",
        "华兴厂",
        "华兴集团",
    ],
)
def test_the_enterprise_is_found_by_its_name_and_short_forms(form):
    assert_redacted(form, ENTERPRISE_PLACEHOLDER, ENTERPRISE_LABEL)


def test_short_forms_drop_legal_forms_places_and_lines_of_business_but_never_become_ordinary_words():
    assert enterprise_short_forms("某某市华兴机械制造有限公司") == [
        "某某市华兴机械制造有限公司",
        "华兴机械制造有限公司",
        "某某市华兴机械制造",
        "某某市华兴机械",
        "华兴机械制造",
        "某某市华兴",
        "华兴机械",
        "华兴",
    ]
    forms = enterprise_short_forms("浙江省杭州市阳光科技股份有限公司")
    assert "阳光科技" in forms and "阳光" not in forms  # 阳光 alone is an ordinary word
    assert "华联" in enterprise_short_forms("华联超市有限公司")
    # 市 in 市场 is not a city: no "场管理" that would cut 市场管理局 in two.
    assert all("场" not in form or "华兴" in form for form in enterprise_short_forms("华兴市场管理有限公司"))
    assert not {"机械", "制造", "科技", "贸易", "有限公司", "杭州"} & set(
        enterprise_short_forms("杭州科技贸易有限公司") + forms
    )


def test_a_generic_line_of_business_alone_is_not_the_enterprise():
    text = "机械制造行业的企业都被检查了,科技公司也一样。"
    assert identity_findings(text, ZHANG) == []


# --- Credit code and ID numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        "91110000802100433B",
        "91110000802100433b",
        "9111 0000 8021 0043 3B",
        "91110000-802100433B",
        "911100008 02100433B",
        "９１１１００００８０２１００４３３Ｂ",
        "911100008/021004/33B",
        "80210043-3",  # the organisation code inside it
    ],
)
def test_the_credit_code_is_found_spaced_split_in_any_case_and_full_width(form):
    assert_redacted(form, CODE, CODE_LABEL)


def test_a_credit_code_split_in_two_with_words_between_is_found():
    text = "信用代码前半段911100008,后半段02100433B,请核实。"
    assert redact_text(text, ZHANG) == f"信用代码前半段{CODE},请核实。"
    assert identity_findings(text, ZHANG) == [CODE_LABEL]


@pytest.mark.parametrize(
    "form",
    [
        "110101199003071234",
        "11010119900307123X",
        "11010119900307123x",
        "110101 19900307 1234",
        "1101-0119-9003-0712-34",
        "１１０１０１１９９００３０７１２３Ｘ",
        "110101900307123",  # the old 15-digit form
    ],
)
def test_any_id_card_number_is_found_even_in_an_anonymous_complaint(form):
    text = f"身份证号{form},请核实。"
    redacted = redact_text(text)
    assert redacted == f"身份证号{ID_NUMBER},请核实。"
    assert identity_findings(text) == ["an ID card number"]
    assert identity_findings(redacted) == []


@pytest.mark.parametrize(
    ("form", "placeholder", "label"),
    [
        ("13800001111", PHONE, "a phone number"),
        ("138 0000 1111", PHONE, "a phone number"),
        ("１３８－００００－１１１１", PHONE, "a phone number"),
        ("+86 138 0000 1111", PHONE, "a phone number"),
        ("010-62345678", PHONE, "a phone number"),
        ("(0571) 8765 4321", PHONE, "a phone number"),
        ("400-123-4567", PHONE, "a phone number"),
        ("lisi@example.org", EMAIL, "an e-mail address"),
        ("lisi(at)example.org", EMAIL, "an e-mail address"),
        ("lisi at example dot org", EMAIL, "an e-mail address"),
        ("lisi＠example．org", EMAIL, "an e-mail address"),
        ("91110000802100433B", CODE, "a credit code"),
        ("9111 0000 8021 0043 3b", CODE, "a credit code"),
    ],
)
def test_anybodys_phone_email_and_credit_code_are_redacted_in_an_anonymous_complaint(
    form, placeholder, label
):
    text = f"另一位当事人:{form},多收费两百元。"
    redacted = redact_text(text)
    assert redacted == f"另一位当事人:{placeholder},多收费两百元。"
    assert identity_findings(text) == [label]
    assert identity_findings(redacted) == []


def test_an_anonymous_complaint_that_names_its_own_enterprise_or_a_numbers_tail_is_redacted():
    text = "本公司宁波澜屿精工有限公司多次被重复检查,手机尾号67392041,身份证后四位 1234。"
    assert (
        redact_text(text)
        == f"本公司{ENTERPRISE_PLACEHOLDER}多次被重复检查,手机尾号{PHONE},身份证后四位 {PHONE}。"
    )
    assert identity_findings(text) == [ENTERPRISE_LABEL, "a phone number"]
    assert redact_text("我司（宁波澜屿精工股份有限公司）反映") == f"我司（{ENTERPRISE_PLACEHOLDER}）反映"


def test_an_enterprise_the_complaint_is_about_is_not_taken_for_the_complainants():
    text = "我公司被要求去某某检测有限公司检测,收费很高;本公司多次被检查。"
    assert identity_findings(text) == []


# --- The text around a match, and the check -------------------------------------------------------


def test_only_the_matches_change_and_full_width_characters_elsewhere_stay_as_written():
    text = "张 三（电话：１３９　１２３４　５６７８）ＡＢＣ，华兴机械厂。２０２６年３月"
    assert (
        redact_text(text, ZHANG)
        == f"{NAME_PLACEHOLDER}（电话：{PHONE}）ＡＢＣ，{ENTERPRISE_PLACEHOLDER}。２０２６年３月"
    )


def test_findings_name_each_kind_once_in_a_fixed_order():
    text = "身份证110101199003071234,华兴公司张三,电话13912345678,张总说另一号码13800001111。"
    assert identity_findings(text, ZHANG) == [
        NAME_LABEL,
        PHONE_LABEL,
        ENTERPRISE_LABEL,
        "an ID card number",
        "a phone number",
    ]


def test_the_placeholders_themselves_are_clean():
    text = "〔投诉人〕〔电话〕〔邮箱〕〔企业〕〔信用代码〕〔身份证号〕"
    assert identity_findings(text, ZHANG) == []
    assert redact_text(text, ZHANG) == text


def test_every_complainant_of_a_merged_case_is_recognised():
    other = identity(contact_name="李四", phone="13700002222", email="", enterprise_name="瑞丰商贸有限公司")
    text = "张总和李经理都反映瑞丰多收费,李四电话137 0000 2222。"
    assert redact_text(text, [ZHANG, other]) == (
        f"{NAME_PLACEHOLDER}和{NAME_PLACEHOLDER}都反映{ENTERPRISE_PLACEHOLDER}多收费,{NAME_PLACEHOLDER}电话{PHONE}。"
    )
    assert identity_findings(text, (ZHANG, other)) == [NAME_LABEL, PHONE_LABEL, ENTERPRISE_LABEL]
    assert identity_findings(text, ZHANG) == [NAME_LABEL, "a phone number"]


def test_identity_validate_raises_identity_in_text_for_the_field():
    identity_validate("执法大队一个月内上门检查四次。", ZHANG, field="released_text")

    with pytest.raises(ValidationError) as error:
        identity_validate("请联系张总,139 1234 5678。", ZHANG, field="released_text")
    assert list(error.value.error_dict) == ["released_text"]
    (problem,) = error.value.error_dict["released_text"]
    assert problem.code == "identity_in_text"
    assert NAME_LABEL in problem.messages[0] and PHONE_LABEL in problem.messages[0]

    with pytest.raises(ValidationError) as error:
        identity_validate("身份证110101199003071234")
    assert error.value.code == "identity_in_text"
    assert not hasattr(error.value, "error_dict")


# --- No false positives on ordinary complaint text -------------------------------------------------

ORDINARY = [
    "2026年3月15日,区市场监管局执法大队一个月内上门检查四次,每次都要求停产配合。",
    "税务局对我公司罚款12,345.00元,未出具任何法律文书,案件编号AJ-2026-00012。",
    "投诉编号TS-2026-000123,请市场监督管理局于2026年4月1日前答复。",
    "如有疑问请拨打中心热线0571-87654321或12345,或发邮件至xinfang@envopt.gov.cn。",
    "检查时间为2026-03-15 09:30至11:45,执法人员共5人,罚单编号No.20260315001。",
    "合同金额1,200,000.00元,发票号码04400123,营业执照已于2025年12月31日年检。",
    "市场管理处的文书记录不全,执法人员未出示证件,也没有告知救济途径。",
    "要求退还多收的费用共计3,680元,并赔礼道歉,请于15个工作日内办结。",
    "检查组于2026年5月8日至5月12日在厂区检查,共发现问题3项,整改期限30天。",
    "市政府办公室转来的件,机械制造行业协会也反映过类似问题,逾期将通报。",
    "住建局、生态环境局、应急管理局三个部门在一周内先后检查,内容大量重复。",
    "第3.2条规定的期限为20个工作日,实际用了45天,超期25天。",
]
SURNAMES = [
    "张三",
    "周明",
    "金华强",
    "于海",
    "方正",
    "任平",
    "司伟",
    "安琪",
    "高峰",
    "时光",
    "欧阳修",
    "王五",
]


@pytest.fixture
def centre_contacts(settings):
    settings.IDENTITY_CHECK_ALLOWED = ["0571-87654321", "xinfang@envopt.gov.cn"]


@pytest.mark.usefixtures("centre_contacts")
@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_complaint_text_is_left_exactly_as_it_is(text):
    for who in [None] + [identity(contact_name=name) for name in SURNAMES]:
        assert identity_findings(text, who) == [], who and who.contact_name
        assert redact_text(text, who) == text


def test_the_centres_own_contacts_are_only_allowed_when_listed(settings):
    text = "请拨打中心热线(0571)8765-4321,或发邮件至 xinfang(at)envopt.gov.cn。"
    settings.IDENTITY_CHECK_ALLOWED = []
    assert identity_findings(text) == ["a phone number", "an e-mail address"]
    settings.IDENTITY_CHECK_ALLOWED = ["0571-87654321", "xinfang@envopt.gov.cn"]
    assert identity_findings(text) == []
    assert redact_text(text) == text


# --- The invariant: what redact_text returns is clean, and clean text is left alone ---------------

SEPARATORS = ["", "", " ", "-", "·", "\u200b", "\u3000", ".", "、"]
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def _spell(rng: random.Random, value: str, separators=SEPARATORS) -> str:
    text = value[0]
    for char in value[1:]:
        text += rng.choice(separators) + char
    if rng.random() < 0.4:
        text = text.translate(FULL_WIDTH)
    if rng.random() < 0.3:
        text = text.swapcase()
    return text


def _variants(rng: random.Random) -> list[str]:
    at = rng.choice(["@", "＠", " at ", "(at)", "[at]", " 艾特 ", "【at】"])
    dot = rng.choice([".", "．", " dot ", "(dot)", "点"])
    return [
        _spell(rng, "张三"),
        rng.choice(["张总", "张经理", "老张", "小张", "张先生", "张某"]),
        _spell(rng, "13912345678", ["", " ", "-", ".", "\u200b"]),
        rng.choice(["手机尾号", "尾号 ", "尾号为"]) + rng.choice(["12345678", "2345678", "5678"]),
        "zhangsan" + at + "example" + dot + "com",
        rng.choice(enterprise_short_forms("某某市华兴机械制造有限公司")),
        _spell(rng, "91110000802100433B", ["", "", " ", "-"]),
        _spell(rng, "110101199003071234", ["", "", " "]),
    ]


def test_redacted_text_is_always_clean_and_clean_text_is_never_changed():
    rng = random.Random(20260315)
    for _ in range(300):
        variants = _variants(rng)
        parts = rng.sample(ORDINARY, 3)
        for variant in rng.sample(variants, rng.randint(1, len(variants))):
            parts.insert(rng.randrange(len(parts) + 1), variant)
        text = "".join(part + rng.choice(["。", ",", " ", "\n", ";", "（"]) for part in parts)
        assert identity_findings(text, ZHANG), text
        redacted = redact_text(text, ZHANG)
        assert identity_findings(redacted, ZHANG) == [], (text, redacted)
        assert redact_text(redacted, ZHANG) == redacted
        for sentence in parts:
            if sentence in ORDINARY and "0571-87654321" not in sentence and "xinfang" not in sentence:
                assert sentence in redacted


# --- Performance: every notification item passes through here ---------------------------------------

ADVERSARIAL = {
    "spaced digits": "1 " * 2500,
    "spaced code prefix": "9 1 1 1 0 0 0 0 " * 313,
    "name without its end": "张 " * 2500,
    "enterprise words without its name": "华 机 械 制 造 " * 500,
    "local parts": "a" * 5000,
    "dotted": "a." * 2500,
    "at signs": "a@" * 2500,
    "at words": "a at " * 1000,
    "bracketed at": "a(at)b." * 715,
    "separators": "-" * 5000,
    "mixed": "1-2.3 4(5)6" * 455,
    "chinese numerals": "一三九" * 1667,
    "zero width": "张\u200b" * 2500,
    "full width": "１３９　" * 1250,
}


def _best_of_three(call) -> float:
    # The best of three, so that a moment when the machine is busy does not decide.
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return min(timings)


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_a_hostile_five_thousand_character_text_is_checked_and_redacted_quickly(name):
    text = ADVERSARIAL[name][:5000]
    assert len(text) == 5000
    redact_text("warm up", ZHANG)
    assert _best_of_three(lambda: identity_findings(text, ZHANG)) < 0.05
    assert _best_of_three(lambda: redact_text(text, ZHANG)) < 0.05


def test_an_identity_is_compiled_once_however_many_texts_it_checks():
    who = identity(contact_name="钱七", phone="13600009999")
    redact_text("第一段", who)
    before = _identity_rules.cache_info()
    for _ in range(50):
        redact_text("钱七反映多收费。", who)
    after = _identity_rules.cache_info()
    assert after.misses == before.misses
    assert after.hits >= before.hits + 50


def test_a_complainants_long_patterns_are_compiled_only_for_texts_that_may_name_them():
    """The e-mail and enterprise patterns are compiled lazily and skipped by their needles: filing
    a complaint that mentions neither costs no regular-expression compilation (the public form is
    the busiest write), while a text that names them is still redacted."""
    from types import SimpleNamespace

    from core.masking import _identity_rules, _LazyPattern, _rules_for, redact_text

    _identity_rules.cache_clear()  # compiled by no earlier test
    who = SimpleNamespace(
        contact_name="欧阳娜娜",
        phone="13811112222",
        email="oyang.nana@huaxingjixie.com",
        enterprise_name="杭州华兴机械制造有限公司",
        credit_code="",
    )
    lazy = [rule.pattern for rule in _rules_for(who) if isinstance(rule.pattern, _LazyPattern)]
    assert len(lazy) == 2 and all(pattern._compiled is None for pattern in lazy)
    plain = "窗口人员让我们反复补交同样的材料，一份材料前后交了四次。"
    assert redact_text(plain, who) == plain
    assert all(pattern._compiled is None for pattern in lazy)
    written = "请回复 oyang点nana 艾特 huaxingjixie dot com，华兴公司的事。"
    redacted = redact_text(written, who)
    assert "oyang" not in redacted and "huaxingjixie" not in redacted and "华兴" not in redacted
