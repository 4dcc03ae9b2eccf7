"""Province configuration files (tiers, subsidies, 代缴): data, never code (domain.md)."""

import json
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent


@lru_cache(maxsize=8)
def scheme_for(province_code: str) -> dict:
    path = HERE / f"{province_code[:6]}.json"
    return json.loads(path.read_text(encoding="utf-8"))
