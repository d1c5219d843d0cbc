"""Default message and queue sizes, apart from the modules that use them.

The daemons' flags show these as defaults, and `--help` must not load gRPC or the master to
print them (daemons.common.rpc and daemons.master.master re-export them).
"""

# What a daemon accepts in one message by default (--max_message_size): a few MB is room for an
# ACCEPT of thousands of tasks or the re-registration of a busy agent, and keeps one message from
# costing a daemon hundreds of MB.
DEFAULT_MAX_RECEIVE = 8 * 1024 * 1024

# What may wait unread for one client (a framework's event stream, an agent link, an operator
# subscriber) before the master gives up on it: a client that does not read must not grow the
# master without bound (--max_client_queue_bytes).
MAX_CLIENT_QUEUE_BYTES = 16 * 1024 * 1024
