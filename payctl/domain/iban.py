"""IBAN normalisation and check-digit validation (ISO 13616, mod 97)."""

from __future__ import annotations

import re

from payctl.errors import InputError

_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")


def normalise_iban(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()


def account_key(value: str | None) -> str:
    """A bank account as statements are grouped and compared by: normalised, "" for none."""
    return normalise_iban(value) if value else ""


def is_valid_iban(value: str) -> bool:
    iban = normalise_iban(value)
    if not _SHAPE.match(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def parse_iban(value: str, field: str = "iban") -> str:
    iban = normalise_iban(value)
    if not is_valid_iban(iban):
        raise InputError(f"{field}: {value!r} is not a valid IBAN (check digits or format)")
    return iban


def statement_belongs(account: str, own: set[str]) -> bool:
    """Whether a statement of ``account`` belongs to a journal whose bank accounts are ``own``
    (normalised). Banks write an account in full (IBAN) or only its national part, so one may
    end with the other."""
    theirs = normalise_iban(account)
    return not own or not theirs or any(theirs.endswith(o) or o.endswith(theirs) for o in own)
