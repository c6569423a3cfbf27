"""``python -m ssc_kg``: same as the ``ssc-kg`` command."""

from ssc_kg.cli import main

main()
