"""`python -m seom_desktop` is the same as the `seom-desktop` command."""

from seom_desktop.cli import main

raise SystemExit(main())
