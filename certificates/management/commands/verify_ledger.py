"""``manage.py verify_ledger``: check the whole ledger chain (indexes, hashes, links,
signatures, and that certificates and claims still say what their entries recorded); names
the first bad entry and exits with status 1 when there is one."""

from django.core.management.base import BaseCommand, CommandError

from certificates import ledger


class Command(BaseCommand):
    help = "Verify the certificate ledger: every entry's hash, link and signature, and the records they cover."

    def handle(self, *args, **options):
        count, finding = ledger.chain_verify()
        if finding is not None:
            raise CommandError(f"The ledger is NOT valid after {count} good entries: {finding}.")
        self.stdout.write(f"The ledger is valid: {count} entries checked with issuer key {ledger.key_id()}.")
