"""`python -m bot ...` with the knowledge base's size limits raised, for the benchmarks at 10,000 entries.

The loader refuses more than 1,000 entries, 20,000 phrasings and 8 MB in all (bot/knowledge/loader.py: no edit can
make a reload slow), while issue 14's start-up and latency targets are set at 10,000 entries. This is the same
`bot.cli.main`, in the same process, with only those three numbers raised: nothing else is wrapped or measured here.

    python -m benchmarks.big_knowledge run     # what benchmarks/startup.py starts for the 10,000-entry base
"""

import sys

import bot.knowledge.loader as loader

FACTOR = 20


def raise_limits() -> None:
    loader.MAX_ENTRIES *= FACTOR
    loader.MAX_TOTAL_PHRASINGS *= FACTOR
    loader.MAX_TOTAL_BYTES *= FACTOR


def needs_raised_limits(entries: int) -> bool:
    return entries > loader.MAX_ENTRIES


if __name__ == "__main__":
    raise_limits()
    from bot.cli import main

    sys.exit(main())
