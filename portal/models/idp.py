"""Storage of the embedded OpenID provider (stands in for the provincial identity platform)."""

import time
from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class IdpAuthorizationCode(Base):
    __tablename__ = "idp_authorization_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    client_id: Mapped[str] = mapped_column(String(60))
    redirect_uri: Mapped[str] = mapped_column(String(400))
    scope: Mapped[str] = mapped_column(String(200))
    nonce: Mapped[str | None] = mapped_column(String(200))
    code_challenge: Mapped[str | None] = mapped_column(String(200))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(Integer)  # registry_person.id
    acr: Mapped[str] = mapped_column(String(20))
    auth_time: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used: Mapped[bool] = mapped_column(Boolean, default=False)

    # Authlib's AuthorizationCodeMixin / OIDC AuthorizationCodeMixin
    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return self.acr

    def get_amr(self):
        return ["sms", "face"] if self.acr == "face" else ["sms"]

    def is_expired(self):
        return time.time() - self.created_at.timestamp() > 300


class IdpToken(Base):
    __tablename__ = "idp_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(60))
    access_token: Mapped[str] = mapped_column(String(255), unique=True)
    token_type: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(200))
    subject_id: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[int] = mapped_column(Integer, default=lambda: int(time.time()))
    expires_in: Mapped[int] = mapped_column(Integer, default=600)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    # Authlib's TokenMixin
    def check_client(self, client):
        return client.get_client_id() == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self):
        return self.revoked


class IdpSession(Base):
    """The provider's own sign-in session (its cookie holds a random token, stored hashed): a real
    platform remembers who signed in, so the portal must ask for a fresh login when it matters
    and end it at sign-out (issue 16)."""

    __tablename__ = "idp_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer)
    acr: Mapped[str] = mapped_column(String(20))
    auth_time: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
