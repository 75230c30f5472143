"""Passwords (hashlib.scrypt, per-user salt) and random tokens (secrets/hmac)."""

import base64
import hashlib
import hmac
import secrets
from typing import Optional

# scrypt cost: 2**14 x 8 x 1 uses 16 MiB and ~50 ms per check, OWASP's minimum for scrypt.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_DKLEN = 32
SALT_BYTES = 16
MIN_PASSWORD_LENGTH = 8


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=dklen,
        maxmem=128 * n * r * p + 2**20,
    )


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64url, no padding)."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


# A hash to check against when the user does not exist, so both cases take as long.
_DUMMY_HASH: Optional[str] = None


def verify_password(password: str, stored: Optional[str]) -> bool:
    """Constant-time check of ``password`` against a ``hash_password`` string."""
    global _DUMMY_HASH
    if not stored:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
        stored, known = _DUMMY_HASH, False
    else:
        known = True
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected) and known


def new_token() -> str:
    """A random URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """How a session token is stored: its SHA-256, so a leaked table logs nobody in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: Optional[str], b: Optional[str]) -> bool:
    """Constant-time string comparison; None never matches."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
