"""The widgets of the mesos-tui app, one per file."""
