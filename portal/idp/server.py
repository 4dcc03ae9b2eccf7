"""Authlib authorization server for the embedded provider: code + PKCE S256 + OpenID Connect."""

import secrets
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import current_app
from sqlalchemy import select, update

from ..exchange.population import RegisteredPerson, population_register
from ..extensions import db
from ..models import IdpAuthorizationCode, IdpToken

ID_TOKEN_LIFETIME = 600


@dataclass
class PortalClient(ClientMixin):
    """A relying party, configured rather than registered: this portal, and any further clients
    in IDP_EXTRA_CLIENTS (a second portal instance, a test tool)."""

    client_id: str
    client_secret: str
    redirect_uris: list
    post_logout_redirect_uris: list = field(default_factory=list)

    @property
    def redirect_uri(self):
        return self.redirect_uris[0]

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        allowed = {"openid", "profile", "phone", "identity_document"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret or "", self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint != "token" or method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


def issuer() -> str:
    return current_app.config["EXTERNAL_URL"] + "/idp"


def portal_client() -> PortalClient:
    config = current_app.config
    return PortalClient(
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"],
        redirect_uris=[config["EXTERNAL_URL"] + "/auth/callback"],
        post_logout_redirect_uris=[config["EXTERNAL_URL"] + "/signed-out"],
    )


def registered_clients() -> list[PortalClient]:
    extra = [
        PortalClient(c["client_id"], c["client_secret"], list(c["redirect_uris"]),
                     list(c.get("post_logout_redirect_uris", [])))
        for c in current_app.config["IDP_EXTRA_CLIENTS"]
    ]
    return [portal_client(), *extra]


def query_client(client_id):
    return next((c for c in registered_clients() if c.client_id == client_id), None)


def save_token(token, request):
    db.session.add(
        IdpToken(
            client_id=request.client.get_client_id(),
            access_token=token["access_token"],
            token_type=token["token_type"],
            scope=token.get("scope", ""),
            subject_id=request.user.registry_id,
            expires_in=token.get("expires_in", 600),
        )
    )
    db.session.commit()


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        payload = request.payload
        user = request.user
        db.session.add(
            IdpAuthorizationCode(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=payload.redirect_uri,
                scope=payload.scope,
                nonce=payload.data.get("nonce"),
                code_challenge=payload.data.get("code_challenge"),
                code_challenge_method=payload.data.get("code_challenge_method"),
                subject_id=user.registry_id,
                acr=user.acr,
                auth_time=user.auth_time,
            )
        )
        db.session.commit()

    def query_authorization_code(self, code, client):
        found = db.session.scalar(
            select(IdpAuthorizationCode).filter_by(code=code, client_id=client.get_client_id())
        )
        if found and not found.used and not found.is_expired():
            return found
        return None

    def delete_authorization_code(self, authorization_code):
        pass  # already marked used when it was claimed (authenticate_user)

    def authenticate_user(self, authorization_code):
        # One code, one token: the exchange claims the code in a single conditional UPDATE, so of
        # concurrent exchanges exactly one wins (a read-then-mark lets them all through). Marked,
        # not deleted: a replayed code stays recognisable.
        claimed = db.session.execute(
            update(IdpAuthorizationCode)
            .where(IdpAuthorizationCode.id == authorization_code.id,
                   IdpAuthorizationCode.used.is_(False))
            .values(used=True)
        ).rowcount
        db.session.commit()
        if claimed != 1:
            return None
        person = population_register().get(authorization_code.subject_id)
        return SignedInPerson(person, authorization_code.acr, authorization_code.auth_time)


@dataclass
class SignedInPerson:
    """The end user as the provider knows them at the moment of authentication."""

    record: RegisteredPerson
    acr: str
    auth_time: int

    @property
    def registry_id(self):
        return self.record.registry_id


def user_claims(person: RegisteredPerson, scope: str) -> UserInfo:
    scopes = set((scope or "").split())
    info = UserInfo(sub=f"p{person.registry_id}")
    if "profile" in scopes:
        info["name"] = person.name
    if "phone" in scopes and person.phone:
        info["phone_number"] = person.phone
        info["phone_number_verified"] = True
    if "identity_document" in scopes:
        info["id_document_type"] = person.id_type
        info["id_document_number"] = person.id_number
    return info


class PortalOpenIDCode(OpenIDCode):
    def resolve_client_private_key(self, client):
        return current_app.extensions["idp_signing_key"]

    def get_client_claims(self, client):
        return {
            "iss": issuer(),
            "aud": [client.get_client_id()],
            "exp": int(time.time()) + ID_TOKEN_LIFETIME,
        }

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        key = current_app.extensions["idp_signing_key"]
        return {"alg": "RS256", "kid": key.kid}

    def exists_nonce(self, nonce, request):
        return db.session.scalar(
            select(IdpAuthorizationCode.id).filter_by(
                nonce=nonce, client_id=request.payload.client_id
            )
        ) is not None

    def generate_user_info(self, user, scope):
        return user_claims(user.record, scope)


class S256Challenge(CodeChallenge):
    """PKCE with S256 only: "plain" would hand the verifier to anyone who sees the redirect."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        # Authlib demands PKCE only from public clients; this provider demands it from everyone.
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with code_challenge_method=S256 is required")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        if not grant.request.payload.data.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class TokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return db.session.scalar(select(IdpToken).filter_by(access_token=token_string))


require_token = ResourceProtector()
require_token.register_token_validator(TokenValidator())


def authorization() -> AuthorizationServer:
    return current_app.extensions["idp_authorization_server"]


def init_server(app):
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {"authorization_code": 600})
    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    app.extensions["idp_authorization_server"] = server
    server.register_grant(
        CodeGrant, [PortalOpenIDCode(require_nonce=True), S256Challenge(required=True)]
    )
