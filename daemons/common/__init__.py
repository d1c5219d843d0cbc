"""What the master, the agent and the clients share: resources, flags, durations, ids, rpc."""
