"""Command: compute and cache a dataset's colour statistics (see `alexnet.data.colour`).

    python -m alexnet.data.colour_stats --dataset imagenette

Only the command lives here: import `alexnet.data.colour` (or use
`alexnet.data.colour_stats`, the function) rather than this module.
"""

from alexnet.data.colour import main

if __name__ == "__main__":
    raise SystemExit(main())
