"""``python -m govshare`` runs the command-line interface."""

from govshare.cli import main

main()
