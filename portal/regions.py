"""Looking up administrative regions by code (names for pages, the county of a hukou)."""

from flask import current_app

from .extensions import db
from .models import Region


def county_of(region_code: str | None) -> str:
    """The county (县) a hukou belongs to; people without one apply where the portal serves."""
    if region_code:
        county = region_code[:6] + "000000"
        if db.session.get(Region, county) is not None:
            return county
    return current_app.config["SERVICE_COUNTY_CODE"]


def region_path(code: str | None) -> str | None:
    """"青山县青山镇东山村": the names below province level, for people to recognise."""
    names = []
    region = db.session.get(Region, code) if code else None
    while region is not None and region.level != "province":
        names.append(region.name)
        region = db.session.get(Region, region.parent_code) if region.parent_code else None
    return "".join(reversed(names)) or None
