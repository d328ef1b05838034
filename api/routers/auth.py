"""Log in (OAuth2 password form → bearer JWT), who am I, and account management by the regulator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel import SQLModel

from api.deps import SessionDep, SettingsDep
from api.errors import error_body
from api.openapi import errors
from api.ratelimit import LOGIN, LOOKUP, limit
from api.security import CurrentActor, RegulatorActor, create_access_token
from certificates.claim import NO_MATCH_EN, NO_MATCH_ZH, ClaimAccountIn, claim_account
from registry.accounts import service
from registry.accounts.models import UserCreate, UserPublic

router = APIRouter(prefix="/api/v1", tags=["auth"])


class TokenOut(SQLModel):
    """A bearer token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post("/auth/token", response_model=TokenOut, responses=errors(401, 429))
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> TokenOut | JSONResponse:
    """Exchange a username and password for a short-lived bearer token.

    Failures are counted per username (known or not); too many in a row lock that name for a while. Attempts
    are also limited per client address (REGISTRY_LOGIN_RATE_PER_MINUTE), which slows spraying many names.
    """
    limit(request, LOGIN, settings.login_rate_per_minute)
    outcome = service.authenticate(session, username=form.username, password=form.password, settings=settings)
    if outcome.user is None:
        # Returned rather than raised: the request's transaction must commit the failure count.
        if outcome.locked:
            minutes = max(1, outcome.retry_after_seconds // 60)
            body = error_body(
                "login_locked",
                f"登录失败次数过多，请约 {minutes} 分钟后再试",
                f"too many failed logins; try again in about {minutes} minutes",
            )
            return JSONResponse(body, status_code=429, headers={"Retry-After": str(outcome.retry_after_seconds)})
        body = error_body("invalid_credentials", "用户名或密码错误", "wrong username or password")
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    token, lifetime = create_access_token(outcome.user, settings)
    return TokenOut(access_token=token, expires_in=lifetime)


@router.post("/accounts/claim", response_model=UserPublic, status_code=201, responses=errors(404, 409, 429))
def claim(
    request: Request, session: SessionDep, settings: SettingsDep, data: ClaimAccountIn
) -> UserPublic | JSONResponse:
    """A worker claims their record: certificate number + full name + ID number prove holdership, and a
    `worker` account tied to the holder is created with the chosen username and password (log in with
    `/auth/token` afterwards).

    Every failure — unknown number, wrong name, wrong ID number, too many attempts on this holder — answers the
    same 404 `claim_no_match`, so nothing tells which detail was wrong or whether the number exists. Attempts
    are limited per client (REGISTRY_LOOKUP_RATE_PER_MINUTE, 429) and per holder, sharing the holder check's
    daily budget (REGISTRY_HOLDER_CHECKS_PER_DAY). A holder with an account already gets 409
    `account_already_claimed`; a username in use 409 `username_taken`.
    """
    limit(request, LOOKUP, settings.lookup_rate_per_minute)
    user = claim_account(session, data=data, settings=settings)
    if user is None:
        # Returned rather than raised: the request's transaction must commit the attempt counted on the holder.
        return JSONResponse(error_body("claim_no_match", NO_MATCH_ZH, NO_MATCH_EN), status_code=404)
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("/users/me", response_model=UserPublic)
def me(session: SessionDep, actor: CurrentActor) -> UserPublic:
    """Show the logged-in account."""
    assert actor.user_id is not None
    return UserPublic.model_validate(service.get_user(session, actor.user_id), from_attributes=True)


@router.post("/users", response_model=UserPublic, status_code=201, responses=errors(404, 409))
def create_user(session: SessionDep, settings: SettingsDep, actor: CurrentActor, data: UserCreate) -> UserPublic:
    """Create an account: the regulator any (a body admin must name their body); a body admin another admin of
    its own body."""
    user = service.create_user(session, actor=actor, data=data, settings=settings)
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, actor: RegulatorActor) -> list[UserPublic]:
    """List every account (regulator)."""
    return [UserPublic.model_validate(u, from_attributes=True) for u in service.list_users(session, actor=actor)]
