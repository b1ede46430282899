"""WebSession, the shared base of the Remote UI and SMS clients: the rules every subclass inherits."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import web_session as ws


@dataclass
class Options:
    host: str = "127.170.0.1"
    use_https: bool = False
    timeout: float = 2.0
    allow_legacy_tls: bool = False
    verify: bool = True
    busy_retries: int = 2
    busy_delay: float = 1.0
    start_wait: float = 0.0
    min_interval: float = 0.0
    password: str = field(default="s3cret-pin", repr=False)

    def secrets(self):
        return (self.password,)


class Clock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


class Fake(ws.WebSession):
    def __init__(self, options, outcome=None, **kwargs):
        super().__init__(options, **kwargs)
        self.outcome = outcome
        self.logins = 0
        self.logouts = 0

    def _login(self):
        self.logins += 1
        self._login_posts += 1
        if self.outcome:
            raise self.error(self.outcome, "refused for %s" % self.options.password)

    def _logout(self):
        self.logouts += 1


def test_authentication_failure_is_never_sent_twice_and_is_scrubbed():
    session = Fake(Options(), outcome="rui_auth_failed")
    for _attempt in range(3):
        with pytest.raises(CanonError) as caught:
            session.login()
        assert "s3cret-pin" not in str(caught.value) and ws.MASK in str(caught.value)
    assert session.logins == 1 and session.login_posts == 1


def test_transient_login_failure_may_be_tried_again():
    session = Fake(Options(), outcome="device_busy")
    for _attempt in range(2):
        with pytest.raises(CanonError):
            session.login()
    assert session.logins == 2


def test_logout_on_every_exit_path():
    session = Fake(Options())
    with pytest.raises(RuntimeError):
        with session:
            assert session.logged_in
            raise RuntimeError("boom")
    assert session.logouts == 1 and not session.logged_in
    with Fake(Options()) as other:
        pass
    assert other.logouts == 1


def test_failed_login_closes_without_logout_request():
    session = Fake(Options(), outcome="rui_locked_out")
    with pytest.raises(CanonError):
        with session:
            pass
    assert session.logouts == 0      # never logged in: nothing to end on the device


def test_busy_is_retried_bounded_with_doubling_delay():
    clock = Clock()
    session = Fake(Options(), sleep=clock.sleep, clock=clock)
    calls = []

    def action():
        calls.append(1)
        raise CanonError("device_busy", "busy")

    with pytest.raises(CanonError) as caught:
        session.with_retries(action)
    assert len(calls) == 3 and clock.slept == [1.0, 2.0]
    assert caught.value.details["attempts"] == 3


def test_other_errors_are_not_retried():
    session = Fake(Options())
    calls = []

    def action():
        calls.append(1)
        raise CanonError("rui_auth_failed", "no")

    with pytest.raises(CanonError):
        session.with_retries(action)
    assert len(calls) == 1


def test_pacing_keeps_the_minimum_gap_and_counts_it():
    clock = Clock()
    session = Fake(Options(min_interval=2.0), sleep=clock.sleep, clock=clock)
    session.pace()                       # first request: no wait
    session._last_request_at = clock()
    clock.now += 0.5
    session.pace()
    assert clock.slept == [1.5] and session.paced_seconds == pytest.approx(1.5)


def test_refused_connection_is_the_unreachable_class():
    session = Fake(Options())
    with pytest.raises(CanonError) as caught:
        session.send("GET", "http://127.170.0.1:9/")
    assert caught.value.error_code == "rui_unreachable"
    assert caught.value.details["reason"] in ("refused", "error")


def test_tls_minimum_is_1_2_unless_legacy():
    import ssl
    assert ws.build_ssl_context(False).minimum_version == ssl.TLSVersion.TLSv1_2
    assert ws.build_ssl_context(True).minimum_version == ssl.TLSVersion.TLSv1
