"""Install the eight measures of the programme (seed §三) as the first tasks of the work ledger.

Each is due at the end of the current year (its last working day) and is assigned to the office
监察投诉中心 when it exists; nothing else is created. A measure with an office gets its deadline
here, anchored on the due date (one working day after the day before, as reports.ledger does),
and so joins the escalation ladder. A measure without an office waits: its first two ladder
steps would address nobody, so it gets its deadline when an office is assigned to it
(``ledger_task_edit``); until then the ledger and the meeting pack list it under "no office".

Historical models only: the deadline's fields are computed here rather than through
core.deadlines, which uses the live models.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations

CENTRE_OFFICE = "监察投诉中心"
KIND = "ledger_task"

MEASURES = [
    (
        1,
        '建立四项制度,优化企业发展软环境',
        (
            '一是建立损害企业利益、破坏经济发展环境问题快速解决机制。对群众诉求坚持多办少转,强化自办;强化对转办'
            '和交办的问题的督查,要提要求,问结果,听汇报,对不认真调查处理、敷衍塞责的,要予以退回重新调查处理。'
            '性质严重的问题要敢于接手、敢于查处。对事实清楚、性质严重的问题通过监察建议形式,限期解决问题,杜绝问'
            '题久拖不决;对问题存在但难以取证认定的问题,责其讲清问题,制定整改措施,加大督查力度。二是建立问责谈'
            '话制度。对群众和企业举报的基层单位侵犯企业利益,不作为、乱作为造成后果的,除对当事人作出处理外,对单'
            '位负责人要进行责任追究。三是建立投诉通报制度。要定期向被投诉单位原汁原味通报群众和企业投诉数量和投诉'
            '的问题,督促被投诉单位制定措施改进工作。四是通过暗访形式进行问题调查,督促解决态度蛮横、作风拖沓、刁'
            '难基层等方面的问题。对典型案例,要适时分析总结,进行通报,以点带面,促进工作全面开展。'
        ),
    ),
    (
        2,
        '密切政企联系,加大受理督查力度',
        (
            '20xx年逐步建立30个中小企业联系点,聘请30个中小企业经济环境监督员,发挥企业联系点作用,了解政'
            '府机关行政效率、工作作风和为企业服务状况以及企业的呼声。加大企业投诉受理和督查力度,通过电视台、报社'
            '等新闻媒体公布投诉电话和投诉网址,方便群众和企业对政府机关行政效能和经济环境的投诉。突出抓好与企业联'
            '系密切、关系企业发展的工商、税务、质监、环保、城建、交通等重点系统单位的督查工作,定期召开专题会议研'
            '究落实“经济发展环境优化工程”工作措施。对企业反映的问题要及时向被反映单位反馈,认真督查,督促解决。'
        ),
    ),
    (
        3,
        '认真开展“两集中、两到位”改革,提高行政审批效率',
        (
            '按照市委、市政府的要求,充分发挥监督检查职能作用,积极推进行政审批“两集中、两到位”工作的落实。按照'
            '应进必进、进必授权的原则,将应进入市行政服务中心办理的行政审批项目全部纳入服务大厅集中办理,实行一口'
            '受理、限时办结,避免“两头办理、体外循环”,切实提高行政审批效率。同时督促各部门、单位按照“真减实放'
            '、强化服务、权责一致、依法推进”的原则,清理行政审批项目、搞好简政放权工作。'
        ),
    ),
    (
        4,
        '扎实推进政务(办事)公开,规范办事程序',
        (
            '积极配合主管部门,切实发挥监督检查的职能作用,综合运用普查、抽查、互查、暗访等形式,围绕公开内容是否'
            '全面、形式是否便捷、时间是否及时、程序是否严密、制度是否健全、群众是否满意等方面开展监督检查,及时发'
            '现漏洞,查找原因,采取对策,督促有关部门、单位有针对性地加以解决。建立健全政务(办事)公开长效机制,'
            '切实发挥示范点的带动作用,推动政务(办事)公开工作深入开展。'
        ),
    ),
    (
        5,
        '运用电子监察,规范行政审批',
        (
            '运用电子监察平台对行政审批实施机关开展日常监察,规范行政审批行为,实施预警纠错,严格责任追究。对电子'
            '监察数据进行统计分析和效能评价,定期通报。对全局性、倾向性问题分析原因、提出对策,为领导决策提供服务'
            '。督促有关部门转变工作作风,提高审批效率,为扩内需、保增长、调结构等项目顺利开工和建设创造有利条件。'
            '继续抓好机关效能考核评议工作,完善考核评议方案,努力体现创新性、可操作性。'
        ),
    ),
    (
        6,
        '加大纠风力度,规范部门和行业作风建设',
        (
            '落实行风建设责任制,坚持“管行业必须管行风”。对行政执法部门、经济管理部门和公共服务行业加强工作督导'
            ',着力解决一些部门和单位存在的门难进、脸难看、事难办和刁难群众、不作为、乱作为问题,进一步强化服务意'
            '识,规范执法行为,提高工作效率,落实减负措施。进一步完善民主评议政风行风等制度,更大范围地征求企业和'
            '基层群众对行政执法部门、经济管理部门等部门和单位的评议意见,办好政风行风热线,畅通企业、群众投诉渠道'
            ',督促有关部门及时解决群众的合理诉求,促进部门和行业风气的进一步好转。'
        ),
    ),
    (
        7,
        '认真治理“三乱”,规范涉企服务',
        (
            '严肃查处涉企乱检查、乱收费、乱罚款和公路“三乱”等方面的问题,维护企业合法权益;严格执行涉企执法检查'
            '审核备案制度。进一步规范政府部门和单位执法检查行为,对于干扰企业正常生产经营,到企业重复检查、交叉检'
            '查等事项,坚决予以制止;严格企业培训审核。对涉及企业的培训,要严格审核备案、严格收费核准,严禁借办班'
            '乱收费;继续清理、规范涉企评比达标表彰。严格监督落实上级文件明确规定取消的项目,坚决查处顶风违纪、私'
            '自组织企业参与评比达标表彰活动等损害企业利益的行为。'
        ),
    ),
    (
        8,
        '加强协调督查,规范行业协会、市场中介组织服务',
        (
            '协调、督促工商、民政等有关部门,规范行业协会、市场中介组织的服务行为、收费行为。严禁利用部门职权,向'
            '企业强行服务、强行收费,严肃查处指定服务、强制服务以及乱收费、高收费、价格欺诈等问题。'
        ),
    ),
]


def _is_working_day(day, complete_years, exceptions):
    if day.year in complete_years and day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def _last_working_day(apps, year):
    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    complete = set(CalendarYear.objects.filter(complete=True).values_list("year", flat=True))
    exceptions = dict(
        CalendarDay.objects.filter(date__year=year).values_list("date", "is_working_day")
    )
    day = dt.date(year, 12, 31)
    while not _is_working_day(day, complete, exceptions):
        day -= dt.timedelta(days=1)
    return day, year not in complete


def install_measures(apps, schema_editor):
    LedgerTask = apps.get_model("reports", "LedgerTask")
    if LedgerTask.objects.filter(source="measure").exists():
        return
    Office = apps.get_model("liaison", "Office")
    Deadline = apps.get_model("core", "Deadline")
    ContentType = apps.get_model("contenttypes", "ContentType")
    zone = ZoneInfo(settings.TIME_ZONE)
    year = dt.datetime.now(tz=zone).year
    due, fallback = _last_working_day(apps, year)
    office = Office.objects.filter(name=CENTRE_OFFICE).first()
    content_type, _created = ContentType.objects.get_or_create(app_label="reports", model="ledgertask")
    for number, title, goal in MEASURES:
        task = LedgerTask.objects.create(
            title=title,
            goal=goal,
            source="measure",
            measure_number=number,
            office=office,
            due_date=due,
            status="planned",
        )
        if office is None:
            continue
        task.deadline = Deadline.objects.create(
            kind=KIND,
            content_type=content_type,
            object_id=task.pk,
            start_date=due - dt.timedelta(days=1),
            working_days=1,
            due_date=due,
            due_at=dt.datetime.combine(due, dt.time.max, tzinfo=zone),
            skipped=[],
            fallback=fallback,
        )
        task.save(update_fields=["deadline"])


def remove_measures(apps, schema_editor):
    LedgerTask = apps.get_model("reports", "LedgerTask")
    Deadline = apps.get_model("core", "Deadline")
    tasks = LedgerTask.objects.filter(source="measure", action_item__isnull=True)
    Deadline.objects.filter(kind=KIND, object_id__in=list(tasks.values_list("pk", flat=True))).delete()
    tasks.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_load_chinese_calendar"),
        ("liaison", "0001_initial"),
        ("reports", "0002_ledger_and_dispatch"),
    ]

    operations = [
        migrations.RunPython(install_measures, remove_measures),
    ]
