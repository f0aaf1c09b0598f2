"""Per-connection state that commands may read and change.

Imports: nothing from kvfake.  Never: socket, selectors.
"""

from __future__ import annotations

from attrs import define, field


@define
class ClientSession:
    """One client's state: the server loop owns it, handlers change it via Context."""

    id: int
    addr: str = "127.0.0.1:0"
    laddr: str = "127.0.0.1:0"
    fd: int = -1
    name: bytes = b""
    db: int = 0
    protover: int = 2
    authenticated: bool = True
    user: bytes = b"default"
    lib_name: bytes = b""
    lib_ver: bytes = b""
    created_ms: int = 0
    last_interaction_ms: int = 0
    last_command: bytes = b"NULL"
    close_after_reply: bool = False
    # CLIENT REPLY ON/OFF/SKIP
    reply_mode: str = "on"
    skip_next_reply: bool = False
    # CLIENT NO-EVICT ON (flag "e" in CLIENT LIST; kept across RESET)
    no_evict: bool = False
    # set by handlers that ask the loop to do something after the reply
    # (e.g. RESET, blocking): opaque to the session itself
    pending_action: object = None
    # True while EXEC runs this client's queued commands (and for scripts):
    # blocking commands then behave as their non-blocking forms, as in Redis
    in_exec: bool = False
    # parked by a blocking command (BLPOP...): flag "b" in CLIENT LIST; kept by
    # kvfake.commands.blocking.BlockingManager
    blocked: bool = False
    # MULTI/EXEC (kvfake.commands.transactions): the queued (spec, args) while in
    # MULTI (None outside it); a command failed to queue (EXEC answers EXECABORT);
    # a WATCHed key was touched (EXEC answers null); the watches, (db, key) -> WatchedKey
    multi: object = None
    multi_error: bool = False
    dirty_cas: bool = False
    watched: dict = field(factory=dict)
    # MONITOR mode (kvfake.commands.monitor): flag "O" in CLIENT LIST
    monitor: bool = False
    # pub/sub (kvfake.commands.pubsub): the Subscriber while the client has any
    # subscription (Redis's CLIENT_PUBSUB: flag "P", RESP2 limits), else None;
    # CLIENT TRACKING (kvfake.commands.tracking): its TrackingState while on, else None
    pubsub: object = None
    tracking: object = None
    extra: dict = field(factory=dict)
