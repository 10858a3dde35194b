"""Two-factor recovery codes: ten single-use codes, shown once, kept only as slow hashes.

1. `make_codes` replaces an account's codes with RECOVERY_CODES new ones and returns them in
   clear, once; the database keeps PBKDF2-SHA256 digests salted with the account's id.
2. At sign-in (hanji.studio.accounts.verify_code) a code that looks like a recovery code
   ("abcd-efgh-jkmn": 12 letters and digits, no 0/o/1/l/i) is checked here instead of as a
   TOTP code, under the same limits on wrong codes.
3. `use_code` spends a code with one conditional UPDATE: two requests with the same code
   cannot both pass.

Each code has about 59 bits of chance (12 symbols of 31); with 60,000 PBKDF2 rounds a copy of
the table cannot be searched for them, and online guessing is bounded by the code limits.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from hanji.studio.models import RecoveryCode

RECOVERY_CODES = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper and typed back
GROUPS, GROUP = 3, 4
ROUNDS = 60_000


def normalize(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch not in " -\t")


def looks_like_code(code: str) -> bool:
    text = normalize(code)
    return len(text) == GROUPS * GROUP and all(ch in ALPHABET for ch in text)


def _digest(user_id: int, code: str) -> str:
    salt = f"hanji-recovery-code:{user_id}".encode()
    return hashlib.pbkdf2_hmac("sha256", normalize(code).encode(), salt, ROUNDS).hex()


def _new_code() -> str:
    text = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP))
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


@transaction.atomic
def make_codes(user) -> list[str]:
    """New codes for `user` (the old ones stop working), in clear: show them once."""
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_digest(user.pk, code)) for code in codes
    )
    return codes


def use_code(user, code: str) -> bool:
    """Spend one unused code of `user`; False for a wrong, used or malformed one."""
    if not looks_like_code(code):
        return False
    return bool(
        RecoveryCode.objects.filter(
            user=user, digest=_digest(user.pk, code), used_at__isnull=True
        ).update(used_at=timezone.now())
    )


def remaining(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def forget_codes(user) -> None:
    RecoveryCode.objects.filter(user=user).delete()
