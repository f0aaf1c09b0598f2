"""``python -m kvfake serve`` -> :func:`kvfake.cli.main`.  Imports: kvfake.cli."""

from kvfake.cli import main

raise SystemExit(main())
