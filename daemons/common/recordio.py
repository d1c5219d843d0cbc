"""RecordIO: how Mesos frames the records of an HTTP event stream (Mesos's recordio.md).

Each record is its length in bytes as ASCII decimal, a newline, then the record itself:

    <length>\\n<record><length>\\n<record>...

The records are JSON or serialized protobuf, as the stream's Content-Type says. `encode`
frames one record; `Decoder` turns the bytes of a stream, fed in pieces of any size, back into
records, refusing a length line that is not a number or a record larger than its limit (a
peer that sends garbage must not make us buffer without bound).
"""

from __future__ import annotations

# A length line is at most this many digits (a record under 10^19 bytes), plus the newline.
MAX_LENGTH_DIGITS = 19
DEFAULT_MAX_RECORD = 64 * 1024 * 1024


class RecordIOError(ValueError):
    """The stream is not RecordIO (or a record is larger than allowed)."""


def encode(record: bytes) -> bytes:
    """One record, framed."""
    return b"%d\n%s" % (len(record), record)


class Decoder:
    """Feed it stream bytes in pieces of any size; it answers the whole records so far."""

    __slots__ = ("_buffer", "_length", "max_record")

    def __init__(self, max_record: int = DEFAULT_MAX_RECORD) -> None:
        self._buffer = bytearray()
        self._length: int | None = None  # of the record being read, once its line is in
        self.max_record = max_record

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        records: list[bytes] = []
        while True:
            if self._length is None:
                newline = self._buffer.find(b"\n", 0, MAX_LENGTH_DIGITS + 1)
                if newline < 0:
                    if len(self._buffer) > MAX_LENGTH_DIGITS:
                        raise RecordIOError("a RecordIO length line is longer than 19 digits")
                    return records
                line = bytes(self._buffer[:newline])
                if not line.isdigit():
                    raise RecordIOError(f"a RecordIO length line is not a number: {line[:20]!r}")
                length = int(line)
                if length > self.max_record:
                    raise RecordIOError(
                        f"a RecordIO record of {length} bytes is over the {self.max_record}-byte limit"
                    )
                del self._buffer[: newline + 1]
                self._length = length
            if len(self._buffer) < self._length:
                return records
            records.append(bytes(self._buffer[: self._length]))
            del self._buffer[: self._length]
            self._length = None

    @property
    def pending(self) -> int:
        """Bytes held for a record not yet complete."""
        return len(self._buffer)
