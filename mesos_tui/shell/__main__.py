"""`python -m mesos_tui.shell`: the same as `mesos-tui shell`."""

import sys

from mesos_tui.shell.repl import main

sys.exit(main())
