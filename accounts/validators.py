"""Password rules of SPEC §3 that Django does not ship."""

import re

from django.core.exceptions import ValidationError


class LetterAndDigitValidator:
    """A password must contain at least one letter and one digit."""

    message = "The password must contain at least one letter and one digit."

    def validate(self, password: str, user=None) -> None:
        if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
            raise ValidationError(self.message, code="password_letter_digit")

    def get_help_text(self) -> str:
        return self.message
