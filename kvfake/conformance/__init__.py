"""The conformance kit: recorded cases (``cases/<group>.json``), the rules for what may differ
(:mod:`~kvfake.conformance.normalize`), and a runner/recorder that talks to any server over TCP
(:mod:`~kvfake.conformance.runner`, the ``kvfake conform`` command).

Every expected reply was recorded from a real redis-server (tools/build_corpus.py builds the cases
from the differential test scripts; ``kvfake conform --record`` re-records them).

Imports: kvfake.conformance.*.  Never: kvfake.store, kvfake.commands (this kit judges a server from
the outside and must not share code with the thing it judges, beyond its own RESP reader).
"""

from kvfake.conformance.corpus import CASES_DIR, Case, Step, load
from kvfake.conformance.normalize import NORMALISERS

__all__ = ["CASES_DIR", "Case", "Step", "load", "NORMALISERS"]
