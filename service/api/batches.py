"""Batches over the API: submit an archive, follow its progress, cancel it, download its results."""

from __future__ import annotations

from flask import g, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from service.api import bp
from service.api.districts import unit_field
from service.api.errors import ApiError, error_response
from service.auth import token_required
from service.batch_results import FORMATS, results_response
from service.batches import batch_or_404, cancel_batch, submit_batch
from service.jobs import enqueue_batch
from service.masking import masked
from service.models import BatchState, Permission
from service.uploads import archive_cap_text


@bp.post("/batches", endpoint="create_batch")
@token_required(Permission.batch)
def create_batch_view():
    """Keep the upload in the multipart field `archive`, made at the using unit `unit`, and queue it: 202
    with the batch's id."""
    try:
        upload = request.files.get("archive")
    except RequestEntityTooLarge:
        raise ApiError(413, "too_large", f"The upload is larger than {archive_cap_text()}.") from None
    if upload is None:
        raise ApiError(400, "missing_field", "Send the archive in the multipart form field 'archive'.")
    batch = submit_batch(upload, user=g.api_user, enqueue=enqueue_batch, unit_id=unit_field())
    if batch.state == BatchState.failed:
        return error_response(503, batch.error_code, batch.error_message)
    return {"id": batch.id, "state": batch.state}, 202, {"Location": url_for("api.get_batch", batch_id=batch.id)}


@bp.get("/batches/<int:batch_id>")
@token_required(Permission.batch)
def get_batch(batch_id: int):
    """State and counts: `total` is null until the upload has been read."""
    return masked(batch_or_404(batch_id).to_status())


@bp.post("/batches/<int:batch_id>/cancel", endpoint="cancel_batch")
@token_required(Permission.batch)
def cancel_batch_view(batch_id: int):
    """Stop a queued or running batch; items already checked keep their results. 409 once finished."""
    batch = batch_or_404(batch_id)
    if not cancel_batch(batch):
        raise ApiError(409, "already_finished", f"The batch is already {batch.state}.")
    return masked(batch.to_status())


@bp.get("/batches/<int:batch_id>/results")
@token_required(Permission.batch)
def batch_results(batch_id: int):
    """One line (or row) per item with an outcome so far: JSONL by default, `format=csv` or `xlsx`."""
    fmt = request.args.get("format", "jsonl")
    if fmt not in FORMATS:
        raise ApiError(400, "invalid_parameter", f"'format' must be one of {', '.join(FORMATS)}.")
    return results_response(batch_or_404(batch_id), fmt)
