"""The batch pages: upload a stack of scans, watch its progress bar, cancel it, download its results."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ocr.load import ImageRejected
from service.auth import permission_required
from service.batch_results import FORMATS, results_response
from service.batches import batch_or_404, cancel_batch, submit_batch
from service.db import db_session
from service.jobs import enqueue_batch
from service.masking import masked
from service.models import Batch, BatchItem, Permission
from service.uploads import archive_cap_text
from service.web import bp
from service.web.forms import BatchForm
from service.web.routes import REJECTED_UPLOAD_STATUS

BATCHES_SHOWN = 20


@bp.get("/batches")
@permission_required(Permission.batch)
def batches():
    """The upload form and the latest batches."""
    return render_batches(BatchForm())


@bp.post("/batches", endpoint="create_batch")
@permission_required(Permission.batch)
def create_batch_view():
    """Keep the upload, queue it and go to its page (a batch the queue failed shows why); an upload that
    cannot start a batch stays on the form."""
    form = BatchForm()
    if not form.validate_on_submit():
        return render_batches(form), 422
    try:
        batch = submit_batch(form.archive.data, user=current_user, enqueue=enqueue_batch,
                             unit_id=form.remember_unit())
    except ImageRejected as rejected:
        form.archive.errors.append(rejected.message)
        return render_batches(form), REJECTED_UPLOAD_STATUS.get(rejected.code, 422)
    return redirect(url_for("web.batch", batch_id=batch.id))


@bp.get("/batches/<int:batch_id>")
@permission_required(Permission.batch)
def batch(batch_id: int):
    """A batch's progress (kept current by certguard.js), its items and its downloads."""
    shown = batch_or_404(batch_id)
    items = db_session().scalars(select(BatchItem).where(BatchItem.batch_id == shown.id).order_by(BatchItem.seq)
                                 .options(selectinload(BatchItem.check)))  # the page shows each item's verdict
    return render_template("web/batch.html", batch=shown, items=items.all(), formats=FORMATS)


@bp.get("/batches/<int:batch_id>/progress")
@permission_required(Permission.batch)
def batch_progress(batch_id: int):
    """What the progress bar polls: state and counts, as the API reports them."""
    return masked(batch_or_404(batch_id).to_status())


@bp.post("/batches/<int:batch_id>/cancel", endpoint="cancel_batch")
@permission_required(Permission.batch)
def cancel_batch_view(batch_id: int):
    """Cancel (POST with the CSRF token); cancelling a finished batch changes nothing."""
    cancel_batch(batch_or_404(batch_id))
    return redirect(url_for("web.batch", batch_id=batch_id))


@bp.get("/batches/<int:batch_id>/results.<fmt>")
@permission_required(Permission.batch)
def batch_results(batch_id: int, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    return results_response(batch_or_404(batch_id), fmt)


def render_batches(form: BatchForm) -> str:
    latest = db_session().scalars(select(Batch).order_by(Batch.id.desc()).limit(BATCHES_SHOWN)
                                  .options(selectinload(Batch.user))).all()
    return render_template("web/batches.html", form=form, batches=latest, cap=archive_cap_text())
