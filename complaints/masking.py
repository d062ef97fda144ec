"""Masking of complainant identity for staff without the permission to see it."""

MASK = "＊＊"


def mask_name(value: str) -> str:
    return f"{value[:1]}{MASK}" if value else ""


def mask_phone(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"{digits[:3]}{MASK}{digits[-2:]}" if len(digits) >= 7 else (MASK if value else "")


def mask_email(value: str) -> str:
    if "@" not in value:
        return MASK if value else ""
    local, domain = value.split("@", 1)
    return f"{local[:1]}{MASK}@{domain}"


def mask_code(value: str) -> str:
    return f"{value[:2]}{MASK}{value[-2:]}" if len(value) > 4 else (MASK if value else "")


def identity_for_viewer(identity, *, can_see: bool) -> dict[str, str] | None:
    """The identity fields as this viewer may see them; None for an anonymous complaint."""
    if identity is None:
        return None
    if can_see:
        return {
            "enterprise_name": identity.enterprise_name,
            "credit_code": identity.credit_code,
            "contact_name": identity.contact_name,
            "phone": identity.phone,
            "email": identity.email,
            "masked": False,
        }
    return {
        "enterprise_name": mask_name(identity.enterprise_name),
        "credit_code": mask_code(identity.credit_code),
        "contact_name": mask_name(identity.contact_name),
        "phone": mask_phone(identity.phone),
        "email": mask_email(identity.email),
        "masked": True,
    }
