#!/usr/bin/env python
"""Download the official MNIST files into a directory and verify them (used by Dockerfile.gpu).

    python scripts/fetch_mnist.py /data/mnist

Each file is checked against the SHA-256 table in tf1_recipes.data before it is kept;
an existing verified copy is left as it is. Exit code 2 with a one-line error on failure.
"""

import sys

from tf1_recipes import data


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: fetch_mnist.py DIR", file=sys.stderr)
        return 2
    try:
        data.download_mnist(argv[0])
        arrays = data.read_raw(argv[0])
    except data.DataError as err:
        print(f"fetch_mnist.py: error: {err}", file=sys.stderr)
        return 2
    print(f"MNIST verified in {argv[0]}: {len(arrays['train'][0])} training and {len(arrays['test'][0])} test images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
