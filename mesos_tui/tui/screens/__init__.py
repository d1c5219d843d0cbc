"""Screens pushed over the cluster views: logs, task details, confirmations, help."""
