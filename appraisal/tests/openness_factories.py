"""Builders for the openness-check tests: a campaign with units and a checklist on the six
criteria, users by role (casework's factories), evidence files as real images."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from appraisal.models import ChecklistItem, Criterion, OpennessCampaign
from liaison.models import Department

_counter = itertools.count(1)


def department(**overrides) -> Department:
    n = next(_counter)
    values = {
        "name": f"公开测试局{n}",
        "email": f"contact{n}@open.example",
        "head_email": f"head{n}@open.example",
        "supervising_leader_email": f"leader{n}@open.example",
    }
    values.update(overrides)
    return Department.objects.create(**values)


def campaign(*units: Department, method: str = OpennessCampaign.Method.SPOT, **overrides) -> OpennessCampaign:
    n = next(_counter)
    values = {
        "title": f"2026年政务公开抽查{n}",
        "method": method,
        "starts_on": dt.date(2026, 10, 1),
        "ends_on": dt.date(2026, 12, 31),
    }
    values.update(overrides)
    created = OpennessCampaign.objects.create(**values)
    created.units.set(units)
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(campaign=created, criterion=value, text=f"检查项：{label}", order=position)
            for position, (value, label) in enumerate(Criterion.choices, start=1)
        ]
    )
    return created


def item(campaign: OpennessCampaign, criterion: str = Criterion.CONTENT) -> ChecklistItem:
    return campaign.items.get(criterion=criterion)


def image_upload(name: str = "现场照片.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
