"""The portal's Flask application class: what reads the same on every request is worked out once.

A page builds a handful of addresses (back links, the keep-alive and sign-in addresses of the
idle timer, a statement's PDF), and Werkzeug builds each anew: URL defaults, rule look-up,
quoting. Within a request, an address depends only on its endpoint, its values and the script
root, unless a URL-defaults function adds to it; so it is kept under those, for endpoints no such
function reaches. Flows' addresses are never kept (their URL defaults carry an assisted task's
consent), nor are static files' (fingerprinted by theirs), nor external addresses, anchors,
methods or schemes.

Flask also asks, for every hook and view on every request, whether it is a coroutine function
(`ensure_sync`); the answer never changes for a function, so it is kept too.
"""

from flask import Flask
from flask.globals import _cv_request
from flask.helpers import _split_blueprint_path

MAX_KEPT = 4096  # addresses; values such as application ids make many, so it starts again
MAX_FUNCTIONS = 1024  # hooks and views: a few dozen


def only_for(*endpoints: str):
    """Marks an app-wide URL-defaults function that changes only these endpoints' addresses
    (every other endpoint's address may then still be kept)."""

    def mark(function):
        function.only_for = frozenset(endpoints)
        return function

    return mark


class Portal(Flask):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept_addresses: dict = {}
        self._keepable_endpoints: dict = {}
        self._sync_functions: dict = {}

    def ensure_sync(self, func):
        found = self._sync_functions.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(self._sync_functions) < MAX_FUNCTIONS:
                self._sync_functions[func] = found
        return found

    def _keepable(self, endpoint: str) -> bool:
        """No URL-defaults function reaches the endpoint: none of its blueprints' and no app-wide
        one, unless that one says it changes only other endpoints."""
        found = self._keepable_endpoints.get(endpoint)
        if found is None:
            # The scopes Flask's inject_url_defaults walks: the app, then each enclosing
            # blueprint of the endpoint.
            scopes = [None]
            if "." in endpoint:
                scopes += _split_blueprint_path(endpoint.rpartition(".")[0])
            functions = [function for scope in scopes
                         for function in self.url_default_functions.get(scope, ())]
            found = endpoint[:1] != "." and all(
                endpoint not in getattr(function, "only_for", (endpoint,))
                for function in functions)
            self._keepable_endpoints[endpoint] = found
        return found

    def url_for(self, endpoint, /, *, _anchor=None, _method=None, _scheme=None, _external=None,
                **values):
        context = _cv_request.get(None)
        if (context is None or _anchor is not None or _method is not None
                or _scheme is not None or _external or not self._keepable(endpoint)):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        try:
            key = (endpoint, context.request.script_root, *sorted(values.items()))
            address = self._kept_addresses.get(key)
        except TypeError:  # a value that cannot be a key (a list): built every time
            return super().url_for(endpoint, **values)
        if address is None:
            address = super().url_for(endpoint, **values)
            if len(self._kept_addresses) >= MAX_KEPT:
                self._kept_addresses.clear()
            self._kept_addresses[key] = address
        return address
