"""Districts and their using units over the API: the ids an upload names in its `unit` field."""

from __future__ import annotations

from flask import request

from service.api import bp
from service.api.errors import ApiError
from service.auth import token_required
from service.db import db_session
from service.districts import NameRefused, all_districts, unit_from_field
from service.models import Permission


@bp.get("/districts")
@token_required(Permission.check)
def list_districts():
    """Every district with its units, in the forms' order."""
    return {"items": [{"id": district.id, "name": district.name,
                       "units": [{"id": unit.id, "name": unit.name} for unit in district.units]}
                      for district in all_districts(db_session())]}


def unit_field() -> int | None:
    """The id of the using unit an upload names in its multipart field `unit` (required once units exist)."""
    try:
        unit = unit_from_field(db_session(), request.form.get("unit"))
    except NameRefused as refused:
        raise ApiError(400, "invalid_unit", f"{refused} GET /api/v1/districts lists the units.") from None
    return unit.id if unit else None
