"""Access codes: short enough to type on a phone, long enough not to be guessed.

Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S,
2/Z, 8/B, U/V) give 23^8 = 7.8e10 codes: with 100,000 codes issued, one random
guess has a chance of about 1 in 780,000, and guessing is throttled on top.
"""

import secrets

ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
LENGTH = 8


def generate_access_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_access_code(raw: str) -> str:
    """Upper case without spaces or dashes, as printed codes are grouped ``ABCD-EFGH``."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def format_access_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"
