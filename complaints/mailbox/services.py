"""Complaints by e-mail: read the complaint mailbox and file each new message as a complaint on
the e-mail channel, waiting for triage like any other (``complaint_submit``: the same checks, the
same identity row, the same acknowledgement with the tracking code through the outbox).

One message at a time: it is read (never marked seen), recorded and filed in one transaction, and
only then moved out of the inbox. A crash in between leaves it in the inbox with its record: the
next run finds the record by its key and only moves it. Nothing leaves the inbox without a record:
a complaint, a duplicate, an automatic reply or bounce (never answered: no mail loops), an
oversized message (its size is read first; only its headers are downloaded) or a failure (no
sender address, nothing written), each in the folder staff look in and on the admin's list.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.forms import DESCRIPTION_MAX
from complaints.mailbox.imap import Mailbox, MailboxConfig, MailboxError, mailbox_open
from complaints.mailbox.parsing import ParsedMail, headers_parse, mail_parse, message_key
from complaints.models import Category, Channel, ComplainantType, MailboxMessage
from complaints.services import ComplaintData, IdentityData, complaint_submit
from complaints.uploads import PreparedUpload, prepare_uploads, safe_display_name
from core.masking import self_named_enterprises
from core.ratelimit import rate_parse

logger = logging.getLogger(__name__)

Outcome = MailboxMessage.Outcome
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def mailbox_configured() -> bool:
    return bool(settings.COMPLAINT_MAILBOX_HOST)


def _folders() -> dict[str, str]:
    return {
        Outcome.COMPLAINT: settings.COMPLAINT_MAILBOX_PROCESSED_FOLDER,
        Outcome.DUPLICATE: settings.COMPLAINT_MAILBOX_PROCESSED_FOLDER,
        Outcome.AUTOMATIC: settings.COMPLAINT_MAILBOX_AUTOMATIC_FOLDER,
        Outcome.BOUNCE: settings.COMPLAINT_MAILBOX_AUTOMATIC_FOLDER,
        Outcome.OVERSIZED: settings.COMPLAINT_MAILBOX_FAILED_FOLDER,
        Outcome.FAILED: settings.COMPLAINT_MAILBOX_FAILED_FOLDER,
    }


def mailbox_fetch(*, config: MailboxConfig | None = None, limit: int | None = None) -> dict[str, int]:
    """Read up to ``limit`` messages of the mailbox's folder (COMPLAINT_MAILBOX_BATCH); return how
    many had each outcome. Does nothing (returns {}) when COMPLAINT_MAILBOX_HOST is unset."""
    if config is None:
        if not mailbox_configured():
            return {}
        config = MailboxConfig.from_settings()
    limit = settings.COMPLAINT_MAILBOX_BATCH if limit is None else limit
    counts: Counter[str] = Counter()
    with mailbox_open(config) as mailbox:
        for folder in sorted(set(_folders().values())):
            mailbox.folder_ensure(folder)
        for uid, size in list(mailbox.sizes().items())[:limit]:
            try:
                record = mailbox_message_take(mailbox=mailbox, uid=uid, size=size)
            except MailboxError as error:
                # One message the server will not hand over or move (deleted meanwhile, a folder
                # refused): the others go on; it stays in the inbox for the next run.
                logger.warning("complaint mailbox: message UID %s left in place: %s", uid, error)
                counts["left in place"] += 1
                continue
            counts[record.outcome] += 1
    if counts:
        logger.info("complaint mailbox: %s", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return dict(counts)


def mailbox_message_take(*, mailbox: Mailbox, uid: int, size: int) -> MailboxMessage:
    """Record and file one message, then move it to its folder."""
    if size > settings.COMPLAINT_MAILBOX_MAX_MESSAGE_SIZE:
        record = mail_record_oversized(headers=mailbox.fetch_headers(uid), size=size)
    else:
        record = mail_file(raw=mailbox.fetch(uid), size=size)
    mailbox.move(uid, record.folder)
    MailboxMessage.objects.filter(pk=record.pk).update(moved_at=timezone.now())
    return record


def _sender_hash(address: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), address.strip().lower().encode(), hashlib.sha256
    ).hexdigest()


def _own_addresses() -> set[str]:
    addresses = {settings.COMPLAINT_MAILBOX_ADDRESS, settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL}
    if "@" in settings.COMPLAINT_MAILBOX_USER:
        addresses.add(settings.COMPLAINT_MAILBOX_USER)
    # DEFAULT_FROM_EMAIL may carry a display name: keep only the address.
    return {re.sub(r"^.*<([^>]*)>.*$", r"\1", a).strip().lower() for a in addresses if a and "@" in a}


def _existing(key: str) -> MailboxMessage | None:
    return MailboxMessage.objects.filter(key=key).first()


def _record_base(parsed: ParsedMail, *, size: int) -> dict:
    return {
        "message_id": parsed.message_id,
        "raw_sha256": parsed.raw_sha256,
        "sender_email": parsed.sender_email[:320],
        "sender_name": parsed.sender_name[:200],
        "sender_hash": _sender_hash(parsed.sender_email) if parsed.sender_email else "",
        "subject": parsed.subject[:500],
        "size": size,
        "sent_at": parsed.sent_at,
    }


def mail_record_oversized(*, headers: bytes, size: int) -> MailboxMessage:
    """A message larger than COMPLAINT_MAILBOX_MAX_MESSAGE_MB: recorded from its headers for staff."""
    parsed = headers_parse(headers)
    existing = _existing(parsed.key)
    if existing is not None:
        return existing
    with translation.override(settings.LANGUAGE_CODE):
        reason = _(
            "%(size)s MB, more than the %(limit)s MB the mailbox downloads. It was not read: open it "
            "in the folder “%(folder)s” and file it by hand."
        ) % {
            "size": f"{size / 1024 / 1024:.1f}",
            "limit": settings.COMPLAINT_MAILBOX_MAX_MESSAGE_SIZE // (1024 * 1024),
            "folder": settings.COMPLAINT_MAILBOX_FAILED_FOLDER,
        }
    try:
        with transaction.atomic():
            return MailboxMessage.objects.create(
                key=parsed.key,
                outcome=Outcome.OVERSIZED,
                reason=reason,
                folder=_folders()[Outcome.OVERSIZED],
                **_record_base(parsed, size=size),
            )
    except IntegrityError:
        return _existing(parsed.key)


def mail_file(*, raw: bytes, size: int | None = None) -> MailboxMessage:
    """Record one message and file it as a complaint when it is one; safe to call twice."""
    size = len(raw) if size is None else size
    try:
        parsed = mail_parse(
            raw,
            own_addresses=_own_addresses(),
            own_message_id_suffix=f"@{settings.OUTBOX_MESSAGE_ID_DOMAIN}>",
        )
    except Exception as error:  # the parser is lenient; whatever still breaks it is kept for staff
        # The error's type only: its text may quote the message (and who sent it).
        logger.warning("complaint mailbox: a message could not be parsed: %s", type(error).__name__)
        key = message_key("", raw)
        with transaction.atomic():
            record, _created = MailboxMessage.objects.get_or_create(
                key=key,
                defaults={
                    "outcome": Outcome.FAILED,
                    "reason": f"unreadable: {type(error).__name__}",
                    "raw_sha256": hashlib.sha256(raw).hexdigest(),
                    "size": size,
                    "folder": _folders()[Outcome.FAILED],
                },
            )
        return record
    try:
        with transaction.atomic():
            return _mail_file_parsed(parsed, raw=raw, size=size)
    except IntegrityError:
        # Another fetch recorded this key meanwhile (its transaction committed first).
        existing = _existing(parsed.key)
        if existing is None:
            raise
        return existing


def _mail_file_parsed(parsed: ParsedMail, *, raw: bytes, size: int) -> MailboxMessage:
    existing = MailboxMessage.objects.filter(key=parsed.key).first()
    if existing is not None:
        if existing.raw_sha256 == parsed.raw_sha256 or existing.outcome == Outcome.OVERSIZED:
            return existing  # the same message read again: it goes where it went the first time
        # Another message with the same Message-ID: never a second complaint, but kept and listed.
        duplicate_key = message_key("", raw)
        again = _existing(duplicate_key)
        if again is not None:
            return again
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("Same Message-ID as a message read on %(date)s; not filed again.") % {
                "date": timezone.localtime(existing.read_at).strftime("%Y-%m-%d %H:%M")
            }
        return MailboxMessage.objects.create(
            key=duplicate_key,
            outcome=Outcome.DUPLICATE,
            reason=reason,
            duplicate_of=existing,
            complaint=existing.complaint,
            folder=_folders()[Outcome.DUPLICATE],
            **_record_base(parsed, size=size),
        )

    record = MailboxMessage(key=parsed.key, **_record_base(parsed, size=size))
    with translation.override(settings.LANGUAGE_CODE):
        if parsed.bounce:
            record.outcome, record.reason = Outcome.BOUNCE, parsed.bounce
        elif parsed.automatic:
            record.outcome, record.reason = Outcome.AUTOMATIC, parsed.automatic
        elif not _valid_address(parsed.sender_email):
            record.outcome = Outcome.FAILED
            record.reason = _("No sender address that an answer could go to.")
        elif not (parsed.subject.strip() or parsed.body.strip() or parsed.files):
            record.outcome, record.reason = Outcome.FAILED, _("The message is empty.")
        else:
            record.outcome = Outcome.COMPLAINT
    record.folder = _folders()[record.outcome]
    record.save()  # first: the unique key is taken before anything is filed
    if record.outcome == Outcome.COMPLAINT:
        _complaint_from_mail(record, parsed)
    logger.info("complaint mailbox: message %s: %s", record.key[:12], record.outcome)
    return record


def _valid_address(address: str) -> bool:
    if not address or len(address) > 254:
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _uploads_checked(parsed: ParsedMail) -> tuple[list[PreparedUpload], list[dict]]:
    """The message's files through the intake's upload checks, one by one: a refused file is
    recorded with its reason and the complaint is filed without it."""
    accepted: list[PreparedUpload] = []
    refused: list[dict] = []
    total = 0
    for mail_file_ in parsed.files:
        name = safe_display_name(mail_file_.name)
        if len(accepted) >= settings.INTAKE_MAX_FILES:
            refused.append(
                {"name": name, "code": "too_many_files", "params": {"limit": settings.INTAKE_MAX_FILES}}
            )
            continue
        if total + len(mail_file_.content) > settings.INTAKE_MAX_TOTAL_SIZE:
            limit = settings.INTAKE_MAX_TOTAL_SIZE // (1024 * 1024)
            refused.append({"name": name, "code": "total_too_large", "params": {"limit": limit}})
            continue
        upload = SimpleUploadedFile(mail_file_.name or name, mail_file_.content, mail_file_.content_type)
        try:
            prepared = prepare_uploads([upload])
        except ValidationError as error:
            for item in error.error_list:
                params = {key: str(value) for key, value in (item.params or {}).items()}
                refused.append({"name": name, "code": item.code or "invalid", "params": params})
            continue
        total += len(mail_file_.content)
        accepted += prepared
    return accepted, refused


def _reply_allowed(sender_hash: str) -> bool:
    limit, period = rate_parse(settings.COMPLAINT_MAILBOX_REPLY_RATE)
    since = timezone.now() - timedelta(seconds=period)
    sent = MailboxMessage.objects.filter(
        sender_hash=sender_hash, reply=MailboxMessage.Reply.QUEUED, read_at__gte=since
    ).count()
    return sent < limit


def _description(parsed: ParsedMail) -> str:
    text = "\n\n".join(part for part in (parsed.subject.strip(), parsed.body.strip()) if part)
    if not text:
        text = _("(No text: the message holds only files.)")
    if len(text) > DESCRIPTION_MAX:
        note = "\n\n" + _("[Shortened: the whole message is kept in the mailbox folder “%(folder)s”.]") % {
            "folder": settings.COMPLAINT_MAILBOX_PROCESSED_FOLDER
        }
        text = text[: DESCRIPTION_MAX - len(note)].rstrip() + note
    return text


def _complaint_from_mail(record: MailboxMessage, parsed: ParsedMail) -> None:
    uploads, refused = _uploads_checked(parsed)
    language = "zh-hans" if _CJK.search(parsed.subject + parsed.body) else "en"
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = settings.LANGUAGE_CODE
    acknowledge = _reply_allowed(record.sender_hash)
    contact_name = (parsed.sender_name or parsed.sender_email.split("@")[0]).strip()[:60]
    # A mail has no form to say "we complain as an enterprise": the one it names as its writer's
    # own ("本公司…有限公司") is the complainant's, kept and protected as identity.
    enterprises = self_named_enterprises(f"{parsed.subject}\n{parsed.body}")
    enterprise = enterprises[0][:200] if enterprises else ""
    with translation.override(settings.LANGUAGE_CODE):
        description = _description(parsed)
        unit = _("Not named yet (complaint received by e-mail)")
        source = _("Complaint mailbox")
    submitted = complaint_submit(
        data=ComplaintData(
            complainant_type=ComplainantType.ENTERPRISE if enterprise else ComplainantType.INDIVIDUAL,
            category=Category.OTHER,
            description=description,
            department_text=unit,
        ),
        identity=IdentityData(
            contact_name=contact_name, email=parsed.sender_email, enterprise_name=enterprise
        ),
        uploads=uploads,
        channel=Channel.EMAIL,
        source=source,
        received_at=timezone.now(),
        language=language,
        acknowledge=acknowledge,
    )
    record.complaint = submitted.complaint
    record.refused_attachments = refused
    record.reply = MailboxMessage.Reply.QUEUED if acknowledge else MailboxMessage.Reply.RATE_LIMITED
    details = []
    if parsed.defects:
        details.append("MIME defects: " + ", ".join(parsed.defects))
    if refused:
        details.append(f"{len(refused)} attachment(s) refused")
    record.reason = "; ".join(details)
    record.save(update_fields=["complaint", "refused_attachments", "reply", "reason"])


def mailbox_message_mark_handled(*, record: MailboxMessage, actor) -> MailboxMessage:
    """Staff dealt with a message that was not filed (or looked at a refused file)."""
    with transaction.atomic():
        record = MailboxMessage.objects.select_for_update().get(pk=record.pk)
        if record.handled_at is None:
            record.handled_at, record.handled_by = timezone.now(), actor
            record.save(update_fields=["handled_at", "handled_by"])
    return record


__all__ = [
    "MailboxError",
    "mail_file",
    "mailbox_configured",
    "mailbox_fetch",
    "mailbox_message_mark_handled",
]
