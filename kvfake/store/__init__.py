"""The data layer: databases, values, expiry.  Imports: kvfake.store.*.  Never: socket, selectors."""

from kvfake.store.store import Store

__all__ = ["Store"]
