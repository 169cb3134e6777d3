"""Which image files can be decoded, judged cheaply before the pipeline meets them.

ILSVRC-2012 and scraped folders hold odd files: CMYK JPEGs, PNG data named
.JPEG, zero-byte and truncated files. TensorFlow decodes CMYK and (through
`decode_image`) PNG correctly, so those are kept. Empty and truncated files are
left out of a source before any `tf.data` pipeline is built, because inside one
a truncated JPEG fails only for some random crop windows (a window above the
missing rows decodes fine), which `ignore_errors` cannot report by name.

The check reads only a file's first and last bytes: a JPEG must end with its
EOI marker and a PNG with its IEND chunk (allowing a little trailing padding).
Only files failing that, and formats without an end marker, are fully decoded
to decide, so scanning 60,000 files takes about a second.
"""

from __future__ import annotations

import os

JPEG, PNG, GIF, BMP = "jpeg", "png", "gif", "bmp"
_MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"GIF8", GIF), (b"BM", BMP))
_END_MARKER = {JPEG: b"\xff\xd9", PNG: b"IEND"}
# Bytes at a file's end searched for its end marker; cameras and editors append
# a few bytes of padding after EOI to some JPEGs.
TAIL_BYTES = 64


def sniff(head: bytes) -> str | None:
    """The image format from a file's first bytes: 'jpeg', 'png', 'gif', 'bmp' or None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def decodes(data: bytes) -> bool:
    """Whether TensorFlow decodes `data` completely (the pipeline's own decoder)."""
    import tensorflow as tf

    try:
        tf.io.decode_image(data, channels=3, expand_animations=False)
        return True
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError):
        return False


def problem(head: bytes, tail: bytes, size: int, read_all) -> str | None:
    """Why an image cannot be used, or None when it decodes.

    Args:
      head: the first bytes (at least 8).
      tail: the last TAIL_BYTES bytes.
      size: the file size.
      read_all: a callable returning all the bytes, called only when needed.
    """
    if size == 0:
        return "empty file"
    kind = sniff(head)
    if kind is None:
        return "not a JPEG/PNG/GIF/BMP image"
    marker = _END_MARKER.get(kind)
    if marker is not None and marker in tail:
        return None
    return None if decodes(read_all()) else "truncated or corrupt"


def check_file(path: str) -> tuple[int, str | None]:
    """(size in bytes, `problem`) for a file on disk, reading only its ends unless in doubt."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as err:
        return 0, f"unreadable ({err.strerror})"
    try:
        size = os.fstat(fd).st_size
        head = os.pread(fd, 16, 0)
        tail = os.pread(fd, TAIL_BYTES, max(0, size - TAIL_BYTES))
    finally:
        os.close(fd)

    def read_all() -> bytes:
        with open(path, "rb") as f:
            return f.read()

    return size, problem(head, tail, size, read_all)


def check_bytes(data: bytes) -> str | None:
    """`problem` for bytes already in memory (archive members)."""
    return problem(data[:16], data[-TAIL_BYTES:], len(data), lambda: data)


def jpeg_components(data: bytes) -> int | None:
    """Colour components in a JPEG's frame header: 1 grey, 3 YCbCr/RGB, 4 CMYK.

    Walks the marker segments from SOI to the first start-of-frame marker
    (SOF0..SOF15 except DHT, JPG and DAC, which share the range).
    """
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            i += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return data[i + 9] if i + 9 < len(data) else None
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return None
