"""The README's tables from a bench run's JSON line, so that they are regenerated, not retyped:

    .venv/bin/python -m bench.run --residents 1000000 --out result.json
    .venv/bin/python -m bench.table result.json

Prints Markdown: the pages beside bare Flask (requests/s, × bare Flask, latencies, CPU per request)
and the batch figures of the same run (fill, tax import, crediting).
"""

import json
import sys

PAGES = (("baseline", "bare Flask (`bench/bare.py`)"), ("home", "public home `/`"),
         ("me", "`/me/` (signed in)"), ("statement", "statement, warm (already issued)"),
         ("statement_first_view", "statement, first view (distinct residents)"))


def number(value, digits: int = 1) -> str:
    """1 234 567.8: groups of three split by a space, as the README's tables write them."""
    return "–" if value is None else f"{value:,.{digits}f}".replace(",", " ")


def whole(value) -> str:
    return number(value, 0)


def page_rows(result: dict) -> list[str]:
    lines = ["| page | clients | requests/s | × bare Flask | p50 / p95 / p99 ms "
             "| CPU per request: app + PostgreSQL | CPU × bare Flask |",
             "|---|---|---|---|---|---|---|"]
    for key, title in PAGES:
        for index, measured in enumerate(result.get(key, [])):
            cpu = (f"{measured['app_cpu_ms']} ms" if "db_cpu_ms" not in measured
                   else f"{measured['app_cpu_ms']} + {measured['db_cpu_ms']} ms") \
                if "app_cpu_ms" in measured else "–"
            lines.append(
                f"| {title if index == 0 else ''} | {measured['clients']} "
                f"| {number(measured['requests_per_s'])} | {measured.get('x_bare', '–')} "
                f"| {measured['p50_ms']} / {measured['p95_ms']} / {measured['p99_ms']} "
                f"| {cpu} | {measured.get('cpu_x_bare', '–')} |")
    return lines


def batch_rows(result: dict) -> list[str]:
    lines = ["| | figure |", "|---|---|"]
    if "fill_seconds" in result:
        total = sum(result["fill_seconds"].values())
        lines.append(f"| fill: {whole(result['residents'])} residents, "
                     f"{whole(result['fill_ledger_rows'])} ledger rows | {total:.0f} s |")
    if "import" in result:
        found = result["import"]
        lines.append(f"| tax import, {whole(found['rows'])} rows ({whole(found['entries'])} "
                     f"entries) | {found['seconds']} s = {whole(found['rows_per_s'])} rows/s |")
    for found in result.get("tax_import", []):
        lines.append(f"| tax import, {whole(found['rows'])} rows from a {found['megabytes']} MB "
                     f"file | {found['seconds']} s = {whole(found['rows_per_s'])} rows/s, "
                     f"peak RSS {found['peak_rss_mb']} MB |")
    if "credit" in result:
        found = result["credit"]
        cpu = (f" (CPU: {found['process_cpu_s']} s Python + {found['db_cpu_s']} s PostgreSQL)"
               if found.get("db_cpu_s") is not None else "")
        lines.append(f"| interest {found['year']} on {whole(found['accounts'])} accounts, "
                     f"notifications on ({whole(found.get('outbox_rows'))} outbox rows), one "
                     f"process | {found['seconds']} s{cpu} |")
        county = found.get("by_county")
        if county:
            lines.append(f"| the same, taken back and done again by one process per county "
                         f"({county['processes']} at once) | {county['seconds']} s |")
    return lines


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    text = open(argv[0], encoding="utf-8").read() if argv else sys.stdin.read()
    result = json.loads([line for line in text.splitlines() if line.startswith("{")][-1])
    print(f"{result['database']}, N = {whole(result['residents'])} residents, "
          f"{result.get('server', '')}\n")
    print("\n".join(page_rows(result)))
    print()
    print("\n".join(batch_rows(result)))


if __name__ == "__main__":
    main()
