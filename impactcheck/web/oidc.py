"""OpenID Connect log-in at the city's identity provider (Keycloak, ADFS, Entra ID) with Authlib.

The authorisation code flow with PKCE, state and nonce, from the IdP's discovery document. Authlib keeps
state, nonce and code verifier in the signed session cookie (so any worker can finish a login) and
checks the ID token's signature (JWKS), issuer, audience, expiry and nonce. Whatever goes wrong at the
IdP or on the way back ends on the login page with a German message, never an error page.
"""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError

from impactcheck.web import sso

log = logging.getLogger(__name__)

bp = Blueprint("oidc", __name__)

CLIENT = "impactcheck.oidc"
NEXT = "oidc_next"  # where to go after the login, kept across the trip to the IdP


def init_app(app: Flask) -> None:
    """Register the IdP as an Authlib client of this app, when OIDC_SERVER_METADATA_URL is set."""
    url = app.config.get("OIDC_SERVER_METADATA_URL")
    if not url:
        return
    if not app.config.get("OIDC_CLIENT_ID"):
        raise RuntimeError("OIDC_SERVER_METADATA_URL is set, but OIDC_CLIENT_ID is not")
    sso.check_config(app, "OIDC")
    secret = app.config.get("OIDC_CLIENT_SECRET")
    client_kwargs = {
        "scope": app.config.get("OIDC_SCOPE") or "openid",
        "code_challenge_method": "S256",
        "default_timeout": float(app.config.get("OIDC_TIMEOUT") or 10),
    }
    if not secret:
        client_kwargs["token_endpoint_auth_method"] = "none"
    oauth = OAuth(app)  # one registry per app: the tests build many apps in one process
    app.extensions[CLIENT] = oauth.register(
        "idp",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=secret,
        server_metadata_url=url,
        client_kwargs=client_kwargs,
    )


def enabled() -> bool:
    return CLIENT in current_app.extensions


def _client():
    client = current_app.extensions.get(CLIENT)
    if client is None:
        abort(404)
    return client


def _back_to_login(message: str):
    flash(message, "error")
    return redirect(url_for("auth.login", next=session.pop(NEXT, None) or None))


def _unreachable():
    return _back_to_login(
        _(
            "Der Anmeldedienst Ihrer Verwaltung ist gerade nicht erreichbar. Bitte versuchen Sie es später "
            "erneut oder melden Sie sich mit Benutzername und Passwort an."
        )
    )


@bp.get("/login/oidc")
def start():
    from impactcheck.web.auth import safe_next

    client = _client()
    if current_user.is_authenticated:
        return redirect(url_for("wizard.index"))
    session[NEXT] = safe_next(request.args.get("next"))
    redirect_uri = current_app.config.get("OIDC_REDIRECT_URI") or url_for("oidc.callback", _external=True)
    try:
        return client.authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError, KeyError, AuthlibBaseError) as exc:
        log.warning("OIDC discovery failed: %s: %s", type(exc).__name__, exc)
        return _unreachable()


@bp.get("/login/oidc/callback")
def callback():
    from impactcheck.web.auth import start_session

    client = _client()
    error = request.args.get("error")
    if error:
        log.info("OIDC login ended at the IdP: %s", error)
        if error in ("access_denied", "login_required", "interaction_required", "consent_required"):
            return _back_to_login(_("Die Anmeldung wurde beim Anmeldedienst abgebrochen oder abgelehnt."))
        return _back_to_login(_("Der Anmeldedienst hat die Anmeldung nicht bestätigt. Bitte versuchen Sie es erneut."))
    metadata_issuer = None
    try:
        metadata_issuer = client.load_server_metadata().get("issuer")
        claims_options = {
            "iss": {"essential": True, "values": [metadata_issuer]},
            "aud": {"essential": True, "value": client.client_id},
        }
        token = client.authorize_access_token(claims_options=claims_options)
    except requests.RequestException as exc:
        log.warning("OIDC token request failed: %s: %s", type(exc).__name__, exc)
        return _unreachable()
    except (AuthlibBaseError, JoseError, ValueError, KeyError, TypeError) as exc:
        # A state that is not ours (an old tab, a forged link), a refused code, a token that does not
        # pass (signature, issuer, audience, expiry, nonce): none of them logs anybody in.
        log.warning("OIDC login refused: %s: %s", type(exc).__name__, exc)
        return _back_to_login(
            _(
                "Die Anmeldung konnte nicht bestätigt werden (abgelaufen oder ungültig). Bitte melden Sie sich "
                "erneut an."
            )
        )
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        log.warning("OIDC login refused: the token response carried no ID token")
        return _back_to_login(_("Der Anmeldedienst hat keine gültige Identität übermittelt."))
    claims = dict(claims)
    if current_app.config.get("OIDC_USERINFO", True) and client.load_server_metadata().get("userinfo_endpoint"):
        try:
            extra = dict(client.userinfo(token=token))
        except (requests.RequestException, ValueError, AuthlibBaseError) as exc:
            log.warning("OIDC userinfo failed: %s: %s", type(exc).__name__, exc)
            return _unreachable()
        if extra.get("sub") == claims["sub"]:  # OIDC Core 5.3.2: else the answer is not about this person
            claims = {**extra, **claims}  # the signed ID token wins where both speak
    config = current_app.config
    municipality_claim = config.get("OIDC_MUNICIPALITY_CLAIM")
    identity = sso.Identity(
        source="oidc",
        username=str(claims.get(config.get("OIDC_USERNAME_CLAIM") or "preferred_username") or ""),
        display_name=next(iter(sso.as_values(claims.get(config.get("OIDC_NAME_CLAIM") or "name"))), None),
        groups=sso.as_values(claims.get(config.get("OIDC_ROLES_CLAIM") or "groups")),
        municipality_values=sso.as_values(claims.get(municipality_claim)) if municipality_claim else None,
        subject=f"{claims.get('iss') or metadata_issuer}\n{claims['sub']}",
    )
    try:
        user = sso.account_for(identity, "OIDC")
    except sso.Refused as refused:
        return _back_to_login(refused.message)
    target = session.pop(NEXT, None)
    start_session(user, source="oidc")
    return redirect(target or url_for("wizard.index"))


def logout_redirect(source: str | None):
    """With OIDC_LOGOUT_AT_IDP, a person who logged in at the IdP is sent there to end that session too
    (RP-initiated logout), then back to the login page; None when there is nothing to do."""
    if source != "oidc" or not current_app.config.get("OIDC_LOGOUT_AT_IDP") or not enabled():
        return None
    client = _client()
    try:
        endpoint = client.load_server_metadata().get("end_session_endpoint")
    except (requests.RequestException, ValueError, AuthlibBaseError) as exc:
        log.warning("OIDC discovery failed at logout: %s", exc)
        return None
    if not endpoint:
        return None
    back = url_for("auth.login", _external=True)
    return redirect(client.create_logout_url(post_logout_redirect_uri=back, client_id=client.client_id)["url"])
