"""The benchmark (bench/run.py) still runs end to end: a tiny fill, tax import, crediting and a few
statement requests, on its own SQLite file and an in-process server (not the shared test app)."""

from bench import run


def test_bench_runs_end_to_end(tmp_path):
    args = run.parse_args([
        "--residents", "50", "--years", "2", "--import-rows", "10", "--sessions", "5",
        "--clients", "2", "--duration", "10", "--max-requests", "10", "--server", "werkzeug",
        "--database-url", f"sqlite:///{tmp_path / 'bench.db'}"])
    result = run.run(args, tmp_path)
    assert result["fill_ledger_rows"] == 50 * 2 * 2
    assert result["import"]["rows"] == 10 and result["import"]["entries"] == 20
    assert result["credit"]["accounts"] == 50 and result["credit"]["interest_fen"] > 0
    statement = result["statement"][0]
    assert statement["requests"] == 10 and statement["errors"] == 0
