"""Every user-facing string has its Chinese translation (zh_Hans_CN is the default locale)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "N_": None}
METHODS = [("portal/**.py", "python"), ("portal/templates/**.html", "jinja2")]


def source_msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_msgid_in_the_code_has_a_chinese_translation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_Hans_CN")
    translated = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    untranslated = sorted(source_msgids() - set(translated))
    assert not untranslated, "missing zh_Hans_CN translations (run `make messages`):\n" + "\n".join(
        untranslated
    )


def test_placeholders_survive_translation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_Hans_CN")
    import re

    placeholder = re.compile(r"%\(\w+\)s")
    for message in catalogue:
        if message.id and message.string:
            assert sorted(placeholder.findall(message.id)) == sorted(
                placeholder.findall(message.string)
            ), message.id
