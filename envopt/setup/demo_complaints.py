"""A believable spread of demo complaints: every category and channel, real-name and
anonymous, over the last six months. Filed through complaint_submit like real ones;
each carries a demo source label so that a second run adds nothing."""

import datetime
import random

from django.utils import timezone

from complaints.models import Category, Channel, ComplainantType, Complaint
from complaints.services import ComplaintData, IdentityData, complaint_submit
from liaison.models import Department, LiaisonPoint, Supervisor

DEMO_SOURCE = "演示数据 #%03d"
COUNT = 60

STORIES = {
    Category.POLICY: "区里公布的小微企业房租减免政策,到街道办理时工作人员说没有接到通知,不予办理。",
    Category.PERMITS: "申请施工许可证,材料齐全却被要求先到三个科室分别盖章,来回跑了六趟,两个月还没批下来。",
    Category.CHARGES: "办理变更登记时被要求缴纳所谓的资料审核费三百元,没有收费依据,也不开发票。",
    Category.FINES: "执法人员检查后当场罚款两千元,没有出具处罚决定书,只给了一张白条。",
    Category.LEVIES: "街道要求每家企业认购两千元的节日慰问品,说是上级摊派的任务。",
    Category.INSPECTIONS: "一个月内环保、安监、消防先后来了五批人检查,内容基本重复,每次都要求停产配合。",
    Category.INACTION: "厂区门口道路塌陷三个月,多次向交通部门反映,一直说在研究,没有任何人来处理。",
    Category.MISCONDUCT: "税务专管员要求我们必须使用他指定的代账公司,否则发票申领就一拖再拖。",
    Category.CORRUPTION: "办理竣工验收时,经办人员暗示要请吃饭才能尽快安排验收。",
    Category.HARM: "已经签订的招商合同中承诺的配套电力迟迟不落实,工厂无法投产,损失严重。",
    Category.CONDUCT: "到窗口咨询时工作人员态度蛮横,不解释政策,只说回去等通知,拖了一个多月。",
    Category.TRAINING: "行业主管部门强制要求企业负责人参加收费培训,每人一千二百元,不参加就影响年审。",
    Category.ASSOCIATIONS: "行业协会强制企业入会并缴纳会费五千元,不交就不给出具相关证明。",
    Category.OPENNESS: "办事指南上没有写明需要的材料清单,每次去都被告知还缺新的材料。",
    Category.OTHER: "企业反映的问题转给相关部门后一直没有答复,希望纪委督促解决。",
}
OUTCOMES = ["退还费用并纠正", "尽快办结", "依法处理责任人", "给出书面答复", ""]
CHANNEL_CYCLE = [
    Channel.WEB,
    Channel.WEB,
    Channel.WEB,
    Channel.HOTLINE,
    Channel.LETTER,
    Channel.VISIT,
    Channel.EMAIL,
    Channel.LIAISON_POINT,
    Channel.SUPERVISOR,
    Channel.MEDIA,
    Channel.HIGHER_AUTHORITY,
    Channel.UNANNOUNCED_VISIT,
]


def demo_complaints_install(*, today: datetime.date | None = None) -> int:
    """File the demo complaints that are not there yet; return how many exist."""
    existing = set(Complaint.objects.filter(source__startswith="演示数据").values_list("source", flat=True))
    departments = list(Department.objects.order_by("name"))
    points = list(LiaisonPoint.objects.order_by("enterprise_name"))
    supervisors = list(Supervisor.objects.order_by("name"))
    if not departments:
        return 0
    rng = random.Random(2026)  # the same spread every time  # noqa: S311 - not security
    now = timezone.now()
    categories = list(STORIES)
    for n in range(COUNT):
        source = DEMO_SOURCE % (n + 1)
        category = categories[n % len(categories)]
        channel = CHANNEL_CYCLE[n % len(CHANNEL_CYCLE)]
        days_ago = rng.randint(0, 180)
        anonymous = n % 4 == 3
        if source in existing:
            continue
        complaint_submit(
            data=ComplaintData(
                complainant_type=ComplainantType.INDIVIDUAL if n % 7 == 6 else ComplainantType.ENTERPRISE,
                category=category,
                description=STORIES[category],
                department=departments[(n * 5) % len(departments)] if n % 10 != 9 else None,
                department_text="开发区某执法中队" if n % 10 == 9 else "",
                occurred_on=(now - datetime.timedelta(days=days_ago + 3)).date(),
                occurred_place="经济开发区",
                desired_outcome=OUTCOMES[n % len(OUTCOMES)],
            ),
            identity=None
            if anonymous
            else IdentityData(
                contact_name=f"联系人{n + 1:02d}",
                phone=f"1391234{n:04d}",
                enterprise_name=f"演示企业{n + 1:02d}有限公司",
            ),
            channel=channel,
            source=source,
            liaison_point=points[n % len(points)] if channel == Channel.LIAISON_POINT and points else None,
            supervisor=supervisors[n % len(supervisors)]
            if channel == Channel.SUPERVISOR and supervisors
            else None,
            received_at=now - datetime.timedelta(days=days_ago, hours=rng.randint(0, 8)),
        )
    return Complaint.objects.filter(source__startswith="演示数据").count()
