"""The benchmark (bench/run.py) still runs end to end: a tiny fill, tax import, crediting and a few
statement requests, on its own SQLite file and an in-process server (not the shared test app)."""

from bench import run


def test_bench_runs_end_to_end(tmp_path):
    args = run.parse_args([
        "--residents", "50", "--years", "2", "--import-rows", "10", "--sessions", "5",
        "--clients", "2", "--duration", "10", "--max-requests", "10", "--server", "werkzeug",
        "--database-url", f"sqlite:///{tmp_path / 'bench.db'}", "--out",
        str(tmp_path / "result.json")])
    result = run.run(args, tmp_path)
    assert result["fill_ledger_rows"] == 50 * 2 * 2
    assert result["import"]["rows"] == 10 and result["import"]["entries"] == 20
    assert result["credit"]["accounts"] == 50 and result["credit"]["interest_fen"] > 0
    statement = result["statement"][0]
    assert statement["requests"] == 10 and statement["errors"] == 0
    # Every figure beside the bare-Flask baseline of the same run, as a ratio (issue 19).
    for key in ("baseline", "home", "me", "statement", "statement_first_view"):
        measured = result[key][0]
        assert measured["requests"] > 0 and measured["errors"] == 0, key
        assert measured["x_bare"] > 0, key
    assert result["baseline"][0]["x_bare"] == 1.0
    # First views are of residents whose statement nobody has opened yet: one request each.
    assert result["statement_first_view"][0]["requests"] == 10

    # The README's tables come from the result file, not typed by hand.
    from bench import table

    printed = capsys_output(table.main, [str(tmp_path / "result.json")])
    assert "| bare Flask (`bench/bare.py`) | 2 |" in printed
    assert "statement, first view" in printed and "tax import, 10 rows" in printed


def capsys_output(function, argv) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        function(argv)
    return out.getvalue()
