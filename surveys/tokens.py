"""Link tokens, their hashes, and the keys that tie a response to its respondent without names."""

import hashlib
import hmac
import secrets

from django.conf import settings

# 32 random bytes = 256 bits; the issue asks for at least 128.
TOKEN_BYTES = 32
SESSION_KEY = "surveys_answer_token"


def token_new() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hmac(purpose: str, value: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"surveys:{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def edit_key_for(token: str) -> str:
    """Key of an anonymous response: only the link holder can compute it; sha256(token) cannot."""
    return _hmac("edit", token)


def pseudonym_for(membership_id: int) -> str:
    """Stable, opaque key pairing one participant's pseudonymous responses across modules."""
    return _hmac("pseudonym", str(membership_id))
