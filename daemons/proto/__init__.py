"""The wire schema: Mesos-shaped .proto files and the modules protoc generates from them.

Regenerate with `make proto`; the generated `*_pb2*.py` modules are committed.
"""
