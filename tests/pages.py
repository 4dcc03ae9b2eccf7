"""Pages read as HTML, not as text matched by regexes: a small tree built with the standard
library's html.parser (no new dependency), enough to find elements by tag and attributes and to
read the words a person sees.

    page = Page(response)            # or Page(html_text)
    page.title                       # the <title> text, whitespace collapsed
    page.text                        # everything a person reads (no scripts, styles, tags)
    page.one("input", name="version")["value"]
    [a["href"] for a in page.all("a", class_="back-link")]
"""

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
UNREAD = {"script", "style", "template"}


class Element:
    def __init__(self, tag: str, attrs: dict, parent=None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list = []  # Elements and strings

    def __getitem__(self, name):
        return self.attrs[name]

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    @property
    def text(self) -> str:
        """The words inside, whitespace collapsed, as a person reads them."""
        return " ".join(" ".join(self._strings()).split())

    def _strings(self):
        for child in self.children:
            if isinstance(child, str):
                yield child
            elif child.tag not in UNREAD:
                yield from child._strings()

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def all(self, tag: str | None = None, **attrs) -> list["Element"]:
        """Descendants with this tag and these attributes (`class_` matches one class;
        `True` as a value only asks that the attribute is there)."""
        return [e for e in self.iter() if (tag is None or e.tag == tag) and e._has(attrs)]

    def one(self, tag: str | None = None, **attrs) -> "Element":
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    def first(self, tag: str | None = None, **attrs) -> "Element | None":
        found = self.all(tag, **attrs)
        return found[0] if found else None

    def _has(self, attrs: dict) -> bool:
        for name, wanted in attrs.items():
            if name == "class_":
                if wanted not in self.classes:
                    return False
                continue
            name = name.replace("_", "-") if name not in self.attrs else name
            if name not in self.attrs:
                return False
            if wanted is not True and self.attrs[name] != wanted:
                return False
        return True

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>"


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: (v if v is not None else "") for k, v in attrs},
                          self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(
            Element(tag, {k: (v if v is not None else "") for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:  # a stray end tag is ignored, like a browser does
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


class Page(Element):
    """A whole page (a test client response or HTML text)."""

    def __init__(self, source):
        html = source if isinstance(source, str) else source.get_data(as_text=True)
        builder = _Builder()
        builder.feed(html)
        builder.close()
        super().__init__("#document", {})
        self.children = builder.root.children
        self.status_code = getattr(source, "status_code", None)

    @property
    def title(self) -> str:
        title = self.first("title")
        return title.text if title else ""

    @property
    def main(self) -> Element:
        return self.first("main") or self

    def field_value(self, name: str) -> str:
        """The value of the one input of this name (hidden ones included)."""
        return self.one("input", name=name)["value"]

    def error_summary(self) -> list[str]:
        summary = self.first(class_="error-summary")
        return [li.text for li in summary.all("li")] if summary else []
