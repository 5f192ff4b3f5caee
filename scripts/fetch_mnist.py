#!/usr/bin/env python
"""Put verified MNIST into a directory (used by Dockerfile.gpu): what is there is checked, the rest downloaded.

    python scripts/fetch_mnist.py /data/mnist

Files already in DIR (in the image: what the build context's docker/mnist/ held, gzip or
not) are kept only when their decompressed content matches the official SHA-256 table in
tf1_recipes.data; a SHA256SUMS file beside them (the format of the shared MNIST folder:
`<sha256>  <name>`, `#` comments) must list the same values. Missing files are downloaded
from the official mirrors and verified before they are kept (the download fetches the .gz
of every file that has no .gz yet). Exit code 2 with a one-line
error when a file is wrong or a download fails; nothing verified is deleted.
"""

import gzip
import sys
from pathlib import Path

from tf1_recipes import data

SUMS = "SHA256SUMS"


def check_sums_file(directory):
    """Compare DIR/SHA256SUMS, when there is one, with the official table; DataError on a difference."""
    path = Path(directory) / SUMS
    if not path.is_file():
        return False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise data.DataError(f"{path}:{number}: expected '<sha256>  <name>', got {line!r}")
        digest, name = parts[0].lower(), parts[1].lstrip("*")
        name = name[:-3] if name.endswith(".gz") else name
        if name not in data.SHA256:
            raise data.DataError(f"{path}:{number}: {name!r} is not one of the MNIST files {sorted(data.SHA256)}")
        if digest != data.SHA256[name]:
            raise data.DataError(f"{path}:{number}: lists {digest} for {name}; the official SHA-256 is {data.SHA256[name]}")
    return True


def present(directory):
    """{name: path} of the MNIST files already in DIR (gzip or not; the uncompressed one first, as the loader reads)."""
    directory = Path(directory)
    found = {}
    for name in data.SHA256:
        for path in (directory / name, directory / f"{name}.gz"):
            if path.is_file():
                found[name] = path
                break
    return found


def verify(name, path):
    """Check one file's decompressed content (magic, size, SHA-256) with the loader's parser."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise data.DataError(f"{path}: corrupt gzip stream ({err})") from err
    data.parse_idx(raw, name, path)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: fetch_mnist.py DIR", file=sys.stderr)
        return 2
    directory = argv[0]
    try:
        sums = check_sums_file(directory)
        had = present(directory)
        for name, path in had.items():  # what was there is verified before anything is downloaded beside it
            verify(name, path)
        if len(had) < len(data.SHA256):
            data.download_mnist(directory)
        arrays = data.read_raw(directory)
    except data.DataError as err:
        print(f"fetch_mnist.py: error: {err}", file=sys.stderr)
        return 2
    fetched = len(data.SHA256) - len(had)
    print(f"MNIST verified in {directory}: {len(had)} of {len(data.SHA256)} files were there"
          f"{' (SHA256SUMS agrees with the official table)' if sums else ''}, {fetched} downloaded; "
          f"{len(arrays['train'][0])} training and {len(arrays['test'][0])} test images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
