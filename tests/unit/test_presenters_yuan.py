"""Money as residents read it (presenters.yuan)."""


def test_yuan_reads_exactly_as_babel_formats_it():
    """presenters.yuan reuses each locale's currency pattern instead of parsing it per amount;
    the result must be Babel's own, to the fen, in both languages and for any sign."""
    import random

    from babel.numbers import format_currency

    from portal import presenters

    rng = random.Random(19)
    amounts = [0, 1, -1, 99, 100, -100, 123456, 10**11, -(10**12 - 1)] + [
        rng.randint(-10**12 + 1, 10**12 - 1) for _ in range(2000)]
    for locale in ("zh_Hans_CN", "en"):
        parts = presenters._yuan_parts(locale)
        assert parts is not None
        for fen in amounts:
            assert presenters._yuan_fast(fen, parts) == format_currency(
                fen / 100, "CNY", locale=locale), (locale, fen)
    assert presenters._yuan_parts("hi_IN") is None  # lakh grouping: left to Babel
