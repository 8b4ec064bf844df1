"""A model that keeps allocating memory until the sandbox stops it."""

chunks = []
while True:
    chunks.append(bytearray(64 << 20))
