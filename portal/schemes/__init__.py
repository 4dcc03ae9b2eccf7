"""Province configuration files (tiers, subsidies, 代缴): data, never code (domain.md)."""

import json
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent


@lru_cache(maxsize=8)
def scheme_for(province_code: str) -> dict:
    path = HERE / f"{province_code[:6]}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def township_first_check(scheme: dict, county_code: str) -> bool:
    """Whether this county has the township office check applications first (初审, 第四条)."""
    return bool(scheme.get("counties", {}).get(county_code[:6], {}).get("township_first_check"))
