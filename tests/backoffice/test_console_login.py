"""Console login: cookie flags, roles, CSRF, lockout, expiry, logout."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from backoffice import staffauth
from backoffice.app import create_app
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from tests.backoffice.console_helpers import csrf_of, login
from tests.backoffice.testing import STAFF_TOKEN


def _cookie(response: object, name: str) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    found = [h for h in headers if h.startswith(f"{name}=")]
    assert found, headers
    return str(found[0])


def test_login_cookie_is_httponly_strict_and_secure_over_tls(client: TestClient) -> None:
    plain = login(client, "tester", STAFF_TOKEN)
    assert plain.status_code == 303 and plain.headers["location"] == "/console/terminals"
    cookie = _cookie(plain, "bo_console")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    with TestClient(client.app, base_url="https://testserver") as tls:
        cookie = _cookie(login(tls, "tester", STAFF_TOKEN), "bo_console")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
        assert tls.get("/console/terminals").status_code == 200


def test_the_token_alone_or_its_secret_part_logs_in(client: TestClient,
                                                    settings: Settings) -> None:
    token = staffauth.add_account(client.app.state.sessions, "li", "technician",  # type: ignore[attr-defined]
                                  settings.clock.now())
    assert login(client, "li", token.split(".", 1)[1]).status_code == 303
    page = client.get("/console/terminals")
    assert page.status_code == 200 and "li" in page.text and "运维人员" in page.text


def test_staff_role_and_bad_tokens_are_refused(client: TestClient, settings: Settings) -> None:
    wang = staffauth.add_account(client.app.state.sessions, "wang", "staff",  # type: ignore[attr-defined]
                                 settings.clock.now())
    refused = login(client, "wang", wang)
    assert refused.status_code == 403 and "无权使用运维控制台" in refused.text
    assert "bo_console=" not in refused.headers.get("set-cookie", "")
    bad = login(client, "tester", "tester.not-the-token-at-all")
    assert bad.status_code == 401 and "账号或令牌不正确" in bad.text
    other = login(client, "wang", STAFF_TOKEN)  # someone else's token under one's own name
    assert other.status_code == 401
    assert client.get("/console/terminals", follow_redirects=False).status_code == 303


def test_failed_logins_lock_the_account_out(client: TestClient) -> None:
    for _ in range(staffauth.FAILURES.limit):
        assert login(client, "tester", "tester.wrong-wrong-wrong-wrong").status_code == 401
    locked = login(client, "tester", STAFF_TOKEN)
    assert locked.status_code == 429 and "登录失败次数过多" in locked.text
    assert int(locked.headers["retry-after"]) > 0


def test_every_post_wants_the_csrf_token(client: TestClient) -> None:
    page = client.get("/console/login")
    no_token = client.post("/console/login", data={"account": "tester", "token": STAFF_TOKEN})
    assert no_token.status_code == 403 and "bo_console=" not in no_token.headers.get(
        "set-cookie", "")
    foreign = client.post("/console/login", headers={"Origin": "https://evil.example"},
                          data={"account": "tester", "token": STAFF_TOKEN,
                                "csrf": csrf_of(page.text)})
    assert foreign.status_code == 403
    assert login(client, "tester", STAFF_TOKEN).status_code == 303
    csrf = csrf_of(client.get("/console/terminals").text)
    for path in ("/console/alerts/ack", "/console/logout", "/console/terminals/X/commands"):
        assert client.post(path, data={"key": "x"}).status_code == 403, path
        assert client.post(path, data={"csrf": "forged"}).status_code == 403, path
    # The session survived the refused requests; the right token logs out.
    assert client.get("/console/terminals").status_code == 200
    out = client.post("/console/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/console/login?m=out"


def test_a_logged_out_cookie_is_dead(client: TestClient) -> None:
    login(client, "tester", STAFF_TOKEN)
    cookie = client.cookies.get("bo_console")
    csrf = csrf_of(client.get("/console/terminals").text)
    client.post("/console/logout", data={"csrf": csrf})
    client.cookies.set("bo_console", str(cookie), path="/console")
    assert client.get("/console/terminals", follow_redirects=False).status_code == 303


def test_sessions_expire_idle_and_at_most_after_a_day_s_work(client: TestClient,
                                                             clock: FakeClock,
                                                             settings: Settings) -> None:
    login(client, "tester", STAFF_TOKEN)
    clock.advance(settings.console_idle_s - 60)
    assert client.get("/console/terminals").status_code == 200  # activity keeps it alive
    clock.advance(settings.console_idle_s - 60)
    assert client.get("/console/terminals").status_code == 200
    clock.advance(settings.console_idle_s + 1)
    gone = client.get("/console/terminals", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/console/login?m=expired"
    assert "登录已过期" in client.get(gone.headers["location"]).text
    login(client, "tester", STAFF_TOKEN)
    for _ in range(int(settings.console_max_s // 1200)):
        clock.advance(1200)
        if client.get("/console/terminals", follow_redirects=False).status_code != 200:
            break
    else:
        raise AssertionError("the session outlived its maximum")


def test_an_account_demoted_or_removed_is_out_at_the_next_click(client: TestClient,
                                                                settings: Settings) -> None:
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    token = staffauth.add_account(sessions, "li", "technician", settings.clock.now())
    login(client, "li", token)
    assert client.get("/console/terminals").status_code == 200
    staffauth.add_account(sessions, "li", "staff", settings.clock.now(), token=token)
    assert client.get("/console/terminals", follow_redirects=False).status_code == 303


def test_the_language_switch_keeps_the_page_and_refuses_other_sites(client: TestClient) -> None:
    login(client, "tester", STAFF_TOKEN)
    switched = client.get("/console/lang?to=en&next=/console/alerts", follow_redirects=False)
    assert switched.headers["location"] == "/console/alerts"
    assert "Alerts" in client.get("/console/alerts").text
    away = client.get("/console/lang?to=en&next=//evil.example/", follow_redirects=False)
    assert away.headers["location"] == "/console"


def test_console_settings_from_the_environment_and_back(tmp_path: Path) -> None:
    env = {"BACKOFFICE_DATA_DIR": str(tmp_path), "BACKOFFICE_ALERT_OUTBOX_BACKLOG": "5",
           "BACKOFFICE_ALERT_REQUIRED_DEVICES": "printer, idcard,camera",
           "BACKOFFICE_ALERT_INTERVAL_S": "30", "BACKOFFICE_CONSOLE_SECURE": "1",
           "BACKOFFICE_METRICS_TOKEN": "t0ken"}
    settings = Settings.from_env(env)
    th = settings.thresholds
    assert (th.outbox_backlog, th.required_devices, th.offline_after_s) == \
        (5, ("printer", "idcard", "camera"), 90.0)
    assert settings.console_secure and settings.metrics_token == "t0ken"
    # What serve --workers hands its workers reads back the same.
    again = Settings.from_env({"BACKOFFICE_DATA_DIR": str(tmp_path), **settings.console_env()})
    assert again.thresholds == th and again.console_secure
    assert not Settings.from_env({"BACKOFFICE_CONSOLE_SECURE": "0"}).console_secure


def test_secure_cookies_behind_a_tls_proxy(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "bo", console_secure=True))
    with TestClient(app) as plain:  # uvicorn behind the proxy sees plain HTTP
        assert "Secure" in _cookie(plain.get("/console/login"), "bo_console_login")
