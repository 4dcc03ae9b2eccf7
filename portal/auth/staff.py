"""The one guard for staff pages (county, township and village assistants): signed in with both
factors (password + TOTP, security.md) and in one of the allowed roles; deny by default."""

from functools import wraps

from flask import abort, redirect, session, url_for
from flask_login import current_user


def staff_refusal(*roles):
    """None when the signed-in staff member passed both factors and holds one of `roles` (any
    role when none is given); otherwise the response that refuses them."""
    if not current_user.is_authenticated:
        return redirect(url_for("agency.sign_in"))
    if current_user.kind != "staff" or session.get("acr") != "staff-mfa":
        abort(403)
    if roles and current_user.role not in roles:
        abort(403)
    return None


def staff_required(*roles):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            refused = staff_refusal(*roles)
            return refused if refused is not None else view(*args, **kwargs)

        return wrapper

    return decorate
