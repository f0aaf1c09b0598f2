"""The only package that touches sockets and the server thread."""

from kvfake.net.server import Server

__all__ = ["Server"]
