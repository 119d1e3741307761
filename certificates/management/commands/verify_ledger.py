"""``manage.py verify_ledger``: check the whole ledger chain (indexes, hashes, links,
signatures, and that certificates and claims still say what their entries recorded); names
the first bad entry and exits with status 1 when there is one. ``--head FILE``: also that a
head published earlier (the JSON of ``GET /api/certificate-log/ledger/head``) is still in the
chain, which detects removed recent entries."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from certificates import ledger


class Command(BaseCommand):
    help = "Verify the certificate ledger: every entry's hash, link and signature, and the records they cover."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--head", metavar="FILE", help="a published head (JSON) that must still be in the chain")

    def handle(self, *args, head: str | None = None, **options):
        count, finding = ledger.chain_verify()
        if finding is not None:
            raise CommandError(f"The ledger is NOT valid after {count} good entries: {finding}.")
        if head is not None:
            try:
                published = json.loads(Path(head).read_text())
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read the published head {head}: {error}") from error
            problem = ledger.head_problem(published if isinstance(published, dict) else {})
            if problem is not None:
                raise CommandError(f"The ledger is NOT valid: {problem}.")
            self.stdout.write(f"The published head (entry #{published['index']}) is in the chain.")
        self.stdout.write(f"The ledger is valid: {count} entries checked with issuer key {ledger.key_id()}.")
