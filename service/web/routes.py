"""The pages: log in and out, check a certificate photo, show a result, list past checks."""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import urlsplit

from flask import Response, abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from ocr.load import ImageRejected, load_image
from service import audit
from service.auth import authenticate, permission_required, visible_checks
from service.db import db_session
from service.masking import mask, mask_numbers, masked
from service.models import AuditAction, Check, CheckState, Permission
from service.pipeline import MEDIA_TYPES, get_kinds, run_check, upload_source
from service.reports.periods import LOCAL_TIMEZONE
from service.storage import get_storage
from service.uploads import archive_cap_text
from service.web import bp
from service.web.display import evidence_rows, explain, field_rows
from service.web.forms import CheckForm, LoginForm

CHECKS_PER_PAGE = 20
REJECTED_UPLOAD_STATUS = {"unsupported_type": 415, "too_large": 413}  # other rejections: 422

ERROR_EXPLANATIONS = {
    400: "The form could not be accepted. Reload the page and try again.",
    403: "Your role may not open this page.",
    404: "There is no such page, or you may not see it.",
    413: "The photo is too large. Take it again at the phone's normal size.",
    500: "Something went wrong on our side. Try again in a minute.",
}


@bp.app_template_filter("mask")
def mask_filter(value: str | None) -> str:
    """`{{ number|mask }}`: an ID or certificate number with all but its ends hidden."""
    return mask(value) if value else ""


bp.add_app_template_filter(mask_numbers)
bp.add_app_template_filter(evidence_rows)


@bp.app_template_filter("kind_name")
def kind_name_filter(scheme: str | None) -> str:
    """The certificate's printed name for a scheme id (built-in or locally added kinds)."""
    kind = get_kinds().get(scheme) if scheme else None
    return kind.name if kind else scheme or "Unknown kind"


@bp.app_template_filter("when")
def when_filter(moment: datetime) -> str:
    """A stored UTC time as the local time people on site read it."""
    return moment.astimezone(LOCAL_TIMEZONE).strftime("%Y-%m-%d %H:%M")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on success go where the user was heading."""
    if current_user.is_authenticated:
        return redirect(url_for("web.new_check"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            audit.record(AuditAction.login, actor=user)
            login_user(user)
            return redirect(local_path(request.args.get("next")) or url_for("web.new_check"))
        audit.record(AuditAction.login_failed, detail={"username": form.username.data})
        return render_template("web/login.html", form=form, failed=True), 401
    return render_template("web/login.html", form=form, failed=False)


@bp.post("/logout")
@login_required
def logout():
    """Log out (POST only, so a link on another site cannot do it)."""
    audit.record(AuditAction.logout)
    logout_user()
    return redirect(url_for("web.login"))


@bp.get("/")
@permission_required(Permission.check)
def new_check():
    """The inspector's page: one button that opens the phone's camera."""
    return render_template("web/check.html", form=CheckForm())


@bp.post("/checks")
@permission_required(Permission.check)
def create_check():
    """Run the uploaded photo through the pipeline and show its result; unusable photos stay on the form."""
    form = CheckForm()
    if not form.validate_on_submit():
        return render_template("web/check.html", form=form), 422
    upload = form.image.data
    try:
        check = run_check(upload.read(), source=upload_source(upload.filename),
                          original_name=upload.filename or None, user=current_user, unit_id=form.remember_unit())
    except ImageRejected as rejected:
        form.image.errors.append(rejected.message)
        return render_template("web/check.html", form=form), REJECTED_UPLOAD_STATUS.get(rejected.code, 422)
    return redirect(url_for("web.check_result", check_id=check.id))


@bp.get("/checks")
@permission_required(Permission.check)
def checks():
    """Past checks the user may see, newest first, one page at a time."""
    page = max(request.args.get("page", 1, type=int), 1)
    query = (visible_checks(current_user)
             .options(selectinload(Check.user))
             .order_by(Check.created_at.desc(), Check.id.desc())
             .offset((page - 1) * CHECKS_PER_PAGE)
             .limit(CHECKS_PER_PAGE + 1))
    rows = db_session().scalars(query).all()
    audit.record(AuditAction.view, object_type="checks", detail={"checks": [row.id for row in rows[:CHECKS_PER_PAGE]]})
    return render_template("web/checks.html", checks=rows[:CHECKS_PER_PAGE], page=page,
                           has_older=len(rows) > CHECKS_PER_PAGE)


@bp.route("/checks/<int:check_id>", methods=["GET", "POST"])
@permission_required(Permission.check)
def check_result(check_id: int):
    """One check: the photo, the verdict and the evidence behind it; a POST reveals its numbers."""
    check = visible_check_or_404(check_id)
    revealed = audited_view(check)
    if check.state != CheckState.done:
        return render_template("web/check_status.html", check=check)
    result = check.result if revealed else masked(check.result)
    return render_template("web/result.html", check=check, result=result, explanation=explain(result),
                           fields=field_rows(result), revealed=revealed)


@bp.get("/checks/<int:check_id>/image")
@permission_required(Permission.check)
def check_image(check_id: int):
    """The photo as the pages show it (`display_copy`), only to users who may see the check."""
    check = visible_check_or_404(check_id)
    audit.record(AuditAction.view, object_type="check", object_id=check.id, detail={"part": "image"})
    return private_file(display_copy(get_storage().open(check.storage_key)), "image/jpeg")


@bp.get("/checks/<int:check_id>/original")
@permission_required(Permission.reveal)
def check_original(check_id: int):
    """The original upload, byte for byte (the evidence its hash vouches for), as a download."""
    check = visible_check_or_404(check_id)
    audit.record(AuditAction.export, object_type="check", object_id=check.id, detail={"part": "original"})
    response = private_file(get_storage().open(check.storage_key), check.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="check-{check.id}-original"'
    return response


def private_file(data: bytes, media_type: str) -> Response:
    """A stored image as a response that is never sniffed, cached, or run as a document."""
    response = make_response(data)
    response.content_type = media_type if media_type in MEDIA_TYPES.values() else "application/octet-stream"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def display_copy(original: bytes) -> bytes:
    """The photo upright, as the reader saw it (so finding boxes land on their values), re-encoded as
    JPEG with no metadata: no EXIF, no GPS position, nothing hidden in the file."""
    buffer = io.BytesIO()
    load_image(original).image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def audited_view(check: Check, **detail: object) -> bool:
    """Record that the user views `check`; a POST (a page's "Reveal numbers" form) reveals its numbers
    for the purpose given. Returns whether the numbers are to be shown whole."""
    reveal = request.method == "POST"
    audit.record_access("check", check.id, reveal=reveal, purpose=request.form.get("purpose"), detail=detail or None)
    return reveal


@bp.errorhandler(HTTPException)
def error_page(error: HTTPException):
    """Errors on these pages as a page with a way back, not a bare status line."""
    explanation = ERROR_EXPLANATIONS.get(error.code, error.description)
    if error.code == 413 and request.endpoint == "web.create_batch":
        explanation = f"The file is larger than {archive_cap_text()}. Split the scans into several files."
    return render_template("web/error.html", error=error, explanation=explanation), error.code


def visible_check_or_404(check_id: int) -> Check:
    """The check, or 404 if it does not exist or the user may not see it (both look the same)."""
    check = db_session().scalars(visible_checks(current_user).where(Check.id == check_id)).one_or_none()
    if check is None:
        abort(404)
    return check


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site; None for anything that could leave it (open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target
