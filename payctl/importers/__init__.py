"""File readers: bytes in, plain records out. No database access."""
