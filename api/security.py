"""Access tokens (python-jose, HS256) and the actor dependencies routes declare; one of jose's two rooms.

Tokens carry typ="access", an audience and an issuer, and are decoded with an explicit algorithm list, so a
certificate token (ES256, typ="xc") can never pass as an access token, and "alg: none" or a key
confusion is refused. The user is reloaded on every request, so deactivation takes effect at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from jose import JWTError, jwt
from sqlmodel import Session

from api.deps import SessionDep, SettingsDep
from assessment.assessors.service import assessor_for_person
from registry import access
from registry.access import Power
from registry.accounts.models import UserAccount
from registry.actor import Actor, Role
from registry.clock import utcnow
from registry.errors import AuthenticationFailed
from registry.keys import derive_key
from registry.settings import Settings

ALGORITHM = "HS256"
AUDIENCE = "registry-api"
TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def create_access_token(user: UserAccount, settings: Settings, *, now: dt.datetime | None = None) -> tuple[str, int]:
    """Return a signed access token for user and its lifetime in seconds."""
    issued = now or utcnow()
    lifetime = settings.access_token_minutes * 60
    claims: dict[str, Any] = {
        "iss": settings.public_base,
        "aud": AUDIENCE,
        "sub": str(user.id),
        "typ": TOKEN_TYPE,
        "role": user.role.value,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int(issued.timestamp()) + lifetime,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, derive_key(settings, "access-token"), algorithm=ALGORITHM, headers={"typ": "JWT"})
    return token, lifetime


def decode_access_token(token: str, settings: Settings) -> uuid.UUID:
    """Return the user id of a valid access token, or raise AuthenticationFailed."""
    try:
        claims = jwt.decode(
            token,
            derive_key(settings, "access-token"),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=settings.public_base,
            options={"require_exp": True, "require_iat": True, "require_sub": True},
        )
    except JWTError as exc:
        expired = "expired" in str(exc).lower()
        raise AuthenticationFailed(
            "登录已过期，请重新登录" if expired else "访问令牌无效",
            "the access token has expired" if expired else "the access token is invalid",
        ) from None
    if claims.get("typ") != TOKEN_TYPE:
        raise AuthenticationFailed("此令牌不是访问令牌", "this token is not an access token")
    try:
        return uuid.UUID(str(claims["sub"]))
    except ValueError:
        raise AuthenticationFailed("访问令牌无效", "the access token is invalid") from None


def actor_for(session: Session, user: UserAccount) -> Actor:
    """Return the Actor a user acts as (assessors and supervisors carry their active card)."""
    assessor_id = None
    if user.role in {Role.ASSESSOR, Role.SUPERVISOR} and user.person_id is not None:
        card = assessor_for_person(session, user.person_id)
        assessor_id = card.id if card else None
    return Actor(
        label=user.username,
        role=user.role,
        user_id=user.id,
        body_id=user.body_id,
        person_id=user.person_id,
        assessor_id=assessor_id,
    )


def get_optional_actor(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Actor:
    """Return the logged-in actor, or the anonymous actor when no token was sent."""
    if not token:
        return Actor.anonymous()
    user = session.get(UserAccount, decode_access_token(token, settings))
    if user is None or not user.is_active:
        raise AuthenticationFailed("账号不存在或已停用", "the account does not exist or is disabled")
    return actor_for(session, user)


def get_current_actor(actor: Annotated[Actor, Depends(get_optional_actor)]) -> Actor:
    """Return the logged-in actor, or refuse with 401."""
    if actor.role is None:
        raise AuthenticationFailed("请先登录", "authentication required")
    return actor


def require_regulator_actor(actor: Annotated[Actor, Depends(get_current_actor)]) -> Actor:
    """Return the actor if it is the regulator, else refuse with 403."""
    access.require(actor, Power.REGULATE)
    return actor


OptionalActor = Annotated[Actor, Depends(get_optional_actor)]
CurrentActor = Annotated[Actor, Depends(get_current_actor)]
RegulatorActor = Annotated[Actor, Depends(require_regulator_actor)]
__all__ = ["CurrentActor", "OptionalActor", "RegulatorActor", "Role", "create_access_token"]
