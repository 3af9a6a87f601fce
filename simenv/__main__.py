"""``python -m simenv up|ctl``: see :mod:`simenv.cli`."""

from simenv.cli import main

raise SystemExit(main())
