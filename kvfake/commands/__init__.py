"""Redis semantics, one module per command group, and the one command table.

Adding a group: create the module with ``group = CommandGroup("...")`` and add it
to the explicit list below.  Imports: kvfake.commands.*.  Never: socket, selectors.
"""

from kvfake.commands import connection, strings
from kvfake.commands import keys
from kvfake.commands import server
from kvfake.commands import lists
from kvfake.commands import bitmaps
from kvfake.commands import hashes
from kvfake.commands import hyperloglog
from kvfake.commands import zsets
from kvfake.commands import sets
from kvfake.commands import transactions
from kvfake.commands import monitor
from kvfake.commands import pubsub
from kvfake.commands import tracking
from kvfake.commands import instance
from kvfake.commands.registry import CommandTable

GROUPS = (
    connection.group,
    strings.group,
    keys.group,
    server.group,
    lists.group,
    bitmaps.group,
    hashes.group,
    hyperloglog.group,
    zsets.group,
    sets.group,
    transactions.group,
    monitor.group,
    pubsub.group,
    tracking.group,
    instance.group,
)

TABLE = CommandTable.from_groups(*GROUPS)

__all__ = ["TABLE", "GROUPS"]
