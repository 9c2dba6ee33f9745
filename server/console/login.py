"""Console pages: sign in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from server.console import apidocs
from server.console.auth import (
    CheckedForm,
    LoginThrottle,
    check_password,
    end_session,
    set_session_cookie,
    signed_in_staff,
    start_session,
)
from server.console.templating import render, static_router
from server.db import StaffAccount
from server.deps import transaction

router = APIRouter()
router.include_router(static_router)
router.include_router(apidocs.router)
throttle = LoginThrottle()


def _safe_next(target: str | None) -> str:
    """Only a console address on this server: never an absolute URL elsewhere."""
    if target and target.startswith("/console") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return "/console/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    if signed_in_staff(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", next=_safe_next(next), error=None, username="")


@router.post("/login", response_model=None)
def login(request: Request, username: Annotated[str, Form(max_length=40)],
          password: Annotated[str, Form(max_length=200)],
          next: Annotated[str, Form(max_length=2000)] = "/console/") -> Response:
    address = request.client.host if request.client else ""
    username = username.strip()
    if throttle.blocked(username, address):
        return render(request, "login.html", status_code=429, next=_safe_next(next),
                      username=username, error="登录失败次数过多，请一分钟后再试。")
    with transaction(request) as db:
        account = db.get(StaffAccount, username)
        if not check_password(account, password):
            throttle.failed(username, address)
            return render(request, "login.html", status_code=401, next=_safe_next(next),
                          username=username, error="用户名或密码不对，请重新输入。")
        token = start_session(db, username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, form: CheckedForm) -> Response:
    response = RedirectResponse("/console/login", status_code=303)
    end_session(request, response)
    return response
