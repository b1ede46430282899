# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared base of every HTTP(S) conversation with a device's web servers.

The Remote UI client (``remote_ui.RemoteUiSession``) and the MEAP SMS client (``sms.py``) both
extend ``WebSession``. The base owns what must be the same for every web client of the
collection, because devices (and operators' security teams) punish the difference:

* **TLS**: TLS 1.2 is the minimum unless ``allow_legacy_tls`` (then TLS 1.0 at OpenSSL security
  level 0, for old devices); ``verify`` (False, True or a CA path) goes with every request; the
  process environment (``REQUESTS_CA_BUNDLE``, proxies) is ignored;
* **errors**: one ``CanonError`` class per failure (``rui_tls_cert``, ``rui_tls_legacy``, the
  subclass's ``unreachable_code`` with ``reason`` refused/timeout/error/tls_handshake), each with
  the hint of ``core/errors.py``;
* **secrets**: ``scrub``/``error`` mask every value of ``options.secrets()`` in messages and
  details, so a device page that echoes a password cannot leak it;
* **transient states**: ``with_retries`` repeats an exchange while the device is busy
  (``busy_retries`` times, doubling ``busy_delay``) or starting (for ``start_wait`` seconds);
  nothing else is retried;
* **authentication is never retried**: ``login()`` remembers an authentication failure
  (``auth_error_codes``) and raises it again without sending credentials;
* **logout on every exit path**: ``with Session(options) as s:`` logs in on entry and logs out
  on every exit (also when the login itself failed half way), then closes the sockets;
* **pacing**: ``min_interval`` seconds at least between two requests (portal devices want >= 2 s
  between requests from scripts; 0 disables it); the time slept is in ``paced_seconds``.

Extension points (what a subclass supplies or may override):

``_login()``
    Send the credentials once (required). Raise ``CanonError`` with an ``auth_error_codes`` code
    on refused credentials; the base stores it and never calls ``_login`` again.
``_logout()``
    The device's logout request (best effort; errors are swallowed by ``logout``).
``_endpoint_error(response, url)``
    Optional: map a response (e.g. HTTP 503) to an error *before* the caller sees it.
``user_agent``, ``unreachable_code``, ``auth_error_codes``
    Class attributes.
``options``
    Any object with ``host``, ``use_https``, ``timeout``, ``allow_legacy_tls``, ``verify``,
    ``busy_retries``, ``busy_delay``, ``start_wait`` and ``secrets()``; ``min_interval``
    (seconds) is read when present.

Counters for tests and benchmarks: ``request_count`` (HTTP exchanges), ``login_posts`` (times
the credentials were sent), ``paced_seconds``.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
import warnings
from typing import Any, Callable, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

from ansible_collections.printfleet.canon.plugins.module_utils.transport import http_client

LEGACY_CIPHERS = "DEFAULT:@SECLEVEL=0"   # TLS 1.0 devices sign with SHA-1 / use short keys
MASK = "********"


# =============================================================================================
# TLS
# =============================================================================================
def build_ssl_context(allow_legacy_tls: bool, verify: bool = True) -> ssl.SSLContext:
    """TLS 1.2+ by default; TLS 1.0+ at OpenSSL security level 0 when legacy devices are allowed.

    With ``verify`` the certificate and the host name (or IP address) are checked against the CA the
    session names (``ca_path``, loaded by the HTTP client) or, without one, certifi's bundle when it is
    installed, else the system's.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if allow_legacy_tls:
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.set_ciphers(LEGACY_CIPHERS)
        else:
            context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def load_default_cas(context: ssl.SSLContext) -> None:
    """The CAs used when the session names none: certifi's bundle if installed, else the system's."""
    try:
        import certifi
        context.load_verify_locations(cafile=certifi.where())
    except (ImportError, OSError):
        context.load_default_certs()


def exception_chain(exc: BaseException) -> List[BaseException]:
    """The exception, its causes/contexts and wrapped reasons (TLS and socket errors arrive as the cause of an HttpError)."""
    seen: List[BaseException] = []
    stack: List[Any] = [exc]
    while stack and len(seen) < 20:
        item = stack.pop()
        if not isinstance(item, BaseException) or any(item is known for known in seen):
            continue
        seen.append(item)
        stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
        stack.extend(arg for arg in item.args if isinstance(arg, BaseException))
    return seen


def is_cert_failure(chain: Sequence[BaseException]) -> bool:
    """Whether a failed handshake failed on the certificate (not on versions or ciphers)."""
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError) or type(item).__name__ == "CertificateError":
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(item) or "doesn't match" in str(item):
            return True
    return False


def legacy_tls_version(host: str, port: int, timeout: float) -> Optional[str]:
    """The TLS version (e.g. 'TLSv1') a server accepts when offered only TLS 1.0/1.1, else None.

    Called after a TLS 1.2+ handshake failed, to tell a legacy-only device from other failures.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
            context.set_ciphers(LEGACY_CIPHERS)
        except (ValueError, ssl.SSLError):
            return None
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                return tls.version()
    except (OSError, ValueError):
        return None


def handshake_fails(host: str, port: int, allow_legacy_tls: bool, timeout: float) -> bool:
    """Whether a fresh TLS handshake with the server fails (not: the server is gone).

    Called after an HTTPS connection was reset, to tell a handshake failure (some TLS stacks hang up
    on a ClientHello they dislike) from a reset in the middle of a request (a restart, a crash): only
    the handshake is tried, nothing is sent, the certificate is not judged here.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        if allow_legacy_tls:
            try:
                context.minimum_version = ssl.TLSVersion.TLSv1
                context.set_ciphers(LEGACY_CIPHERS)
            except (ValueError, ssl.SSLError):
                pass
        else:
            context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        raw = socket.create_connection((host, port), timeout=min(timeout, 10.0))
    except OSError:
        return False                 # refused or unreachable now: the device went away, not its TLS
    try:
        raw.settimeout(0.2)          # a server that hangs up before any ClientHello is going down, not judging TLS
        try:
            if raw.recv(1, socket.MSG_PEEK) == b"":
                return False
        except socket.timeout:
            pass
        except ConnectionError:
            return False
        raw.settimeout(min(timeout, 10.0))
        with context.wrap_socket(raw, server_hostname=host):
            return False
    except (ssl.SSLError, ConnectionError):
        return True
    except OSError:
        return False
    finally:
        raw.close()


def url_host(host: str) -> str:
    """The host as it goes into a URL (IPv6 literals in brackets)."""
    try:
        return "[%s]" % host if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def epoch_ms() -> str:
    """The cache-buster value Canon pages use (``Dummy=<epoch ms>``)."""
    return str(int(time.time() * 1000))


# =============================================================================================
# Session base
# =============================================================================================
class WebSession:
    """One HTTP(S) conversation with one device server; see the module docstring for the rules."""

    user_agent = "printfleet.canon"
    unreachable_code = "rui_unreachable"
    auth_error_codes: Tuple[str, ...] = ("rui_auth_failed", "rui_locked_out")

    def __init__(self, options: Any, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.options = options
        self._sleep = sleep
        self._clock = clock
        context = None
        if options.use_https:
            context = build_ssl_context(options.allow_legacy_tls, bool(options.verify))
            if options.verify is True:
                load_default_cas(context)
        self._http = http_client.HttpClient(context, self.user_agent)
        self._scheme = "https" if options.use_https else "http"
        self._logged_in = False
        self._login_error: Optional[CanonError] = None
        self._last_request_at: Optional[float] = None
        self.request_count = 0
        self.paced_seconds = 0.0
        self._login_posts = 0

    # ------------------------------------------------------------------ extension points ---
    def _login(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _logout(self) -> None:
        """The device's logout request; the base calls it only while logged in."""

    def _endpoint_error(self, response: Any, url: str) -> Optional[CanonError]:
        """An error for a response the caller must not see (default: none)."""
        return None

    # ------------------------------------------------------------------ state ---------------
    @property
    def logged_in(self) -> bool:
        return self._logged_in

    @property
    def login_posts(self) -> int:
        """How many times credentials were sent."""
        return self._login_posts

    @property
    def min_interval(self) -> float:
        return float(getattr(self.options, "min_interval", 0.0) or 0.0)

    # ------------------------------------------------------------------ context manager -----
    def __enter__(self) -> "WebSession":
        try:
            self.login()
        except BaseException:
            try:
                self.logout()          # a half-done login may hold a session on the device
            finally:
                self.close()
            raise
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        try:
            if not (isinstance(exc, CanonError) and exc.error_code == self.unreachable_code):
                self.logout()       # a device that stopped answering would only make us wait again
        finally:
            self.close()

    def close(self) -> None:
        self._http.close()

    def login(self) -> None:
        """Log in once; an authentication failure is kept and raised again, never re-sent."""
        if self._logged_in:
            return
        if self._login_error is not None:
            raise self._login_error
        try:
            self._login()
        except CanonError as exc:
            if exc.error_code in self.auth_error_codes:
                self._login_error = exc
            raise
        self._logged_in = True

    def logout(self) -> None:
        """End the session on the device (best effort: a failed logout only leaves it to time out)."""
        if not self._logged_in:
            return
        self._logged_in = False
        try:
            self._logout()
        except CanonError:
            pass
        self._http.cookies.clear()

    # ------------------------------------------------------------------ errors ---------------
    def scrub(self, text: str) -> str:
        """The text with every secret of the options masked."""
        for secret in self.options.secrets():
            text = text.replace(secret, MASK)
        return text

    def error(self, code: str, msg: Optional[str] = None, hint: Optional[str] = None, **details: Any) -> CanonError:
        """A CanonError whose text and details cannot carry a secret."""
        clean = {key: self.scrub(value) if isinstance(value, str) else value for key, value in details.items()}
        return CanonError(code, self.scrub(msg) if msg else None, hint, **clean)

    # the Remote UI client's historical names
    _scrub = scrub
    _error = error

    def tls_error(self, exc: BaseException, port: int) -> CanonError:
        """Certificate failure, legacy-only device, or another handshake failure."""
        chain = exception_chain(exc)
        ssl_errors = [item for item in chain if isinstance(item, (ssl.SSLError, OSError))]
        reason = str(ssl_errors[0] if ssl_errors else exc)
        where = "%s:%d" % (self.options.host, port)
        if is_cert_failure(chain):
            return self.error("rui_tls_cert", "The TLS certificate of %s could not be verified: %s" % (where, reason),
                              host=self.options.host, port=port)
        if not self.options.allow_legacy_tls:
            version = legacy_tls_version(self.options.host, port, min(self.options.timeout, 10.0))
            if version:
                return self.error("rui_tls_legacy", "%s accepts only %s; the minimum is TLS 1.2." % (where, version),
                                  host=self.options.host, port=port, tls_version=version)
        return self.error(self.unreachable_code, "The TLS handshake with %s failed: %s" % (where, reason),
                          host=self.options.host, port=port, reason="tls_handshake")

    _tls_error = tls_error

    # ------------------------------------------------------------------ transport ------------
    def pace(self) -> None:
        """Wait until ``min_interval`` has passed since the previous request."""
        gap = self.min_interval
        if gap <= 0 or self._last_request_at is None:
            return
        wait = gap - (self._clock() - self._last_request_at)
        if wait > 0:
            self._sleep(wait)
            self.paced_seconds += wait

    def send(self, method: str, url: str, referer: Optional[str] = None, allow_redirects: bool = False,
             **kwargs: Any) -> Any:
        """One HTTP exchange (no redirects unless asked); transport failures become CanonErrors."""
        port = urlsplit(url).port or (443 if url.startswith("https") else 80)
        headers = {"Referer": referer} if referer else {}
        timeout = self.options.timeout
        code = self.unreachable_code
        self.pace()
        try:
            response = self._http.request(method, url, headers=headers, verify=self.options.verify,
                                          timeout=(timeout, timeout), allow_redirects=allow_redirects, **kwargs)
        except http_client.TlsError as exc:
            raise self.tls_error(exc, port) from None
        except http_client.ConnectTimeout:
            raise self.error(code, "%s:%d did not accept a connection within %gs."
                             % (self.options.host, port, timeout), host=self.options.host, port=port,
                             reason="timeout") from None
        except http_client.ReadTimeout:
            raise self.error(code, "%s:%d did not answer %s within %gs."
                             % (self.options.host, port, urlsplit(url).path, timeout),
                             host=self.options.host, port=port, reason="timeout") from None
        except http_client.ConnectionFailed as exc:
            chain = exception_chain(exc)
            if any(isinstance(item, ssl.SSLError) for item in chain):
                raise self.tls_error(exc, port) from None
            refused = any(isinstance(item, ConnectionRefusedError) for item in chain)
            reset = any(isinstance(item, (ConnectionResetError, ConnectionAbortedError)) for item in chain)
            if url.startswith("https:") and reset and handshake_fails(self.options.host, port,
                                                                      self.options.allow_legacy_tls, timeout):
                raise self.tls_error(exc, port) from None   # some TLS 1.0 stacks just hang up
            if reset:       # the handshake works: the device cut this request (restart, crash, reset)
                raise self.error(code, "%s:%d closed the connection during %s %s without answering." % (
                    self.options.host, port, method, urlsplit(url).path), host=self.options.host, port=port,
                    reason="reset") from None
            raise self.error(code, "%s:%d %s." % (
                self.options.host, port, "refused the connection" if refused else "could not be reached"),
                host=self.options.host, port=port, reason="refused" if refused else "error") from None
        except http_client.HttpError as exc:
            raise self.error(code, "The request to %s:%d failed: %s"
                             % (self.options.host, port, exc),
                             host=self.options.host, port=port) from None
        finally:
            self._last_request_at = self._clock()
        self.request_count += 1
        problem = self._endpoint_error(response, url)
        if problem is not None:
            raise problem
        return response

    _send = send

    def with_retries(self, action: Callable[[], Any]) -> Any:
        """Run one exchange again while the device is busy (bounded) or starting (start_wait)."""
        busy_attempts = 0
        started = self._clock()
        starting_attempts = 0
        while True:
            try:
                return action()
            except CanonError as exc:
                if exc.error_code == "device_busy" and busy_attempts < self.options.busy_retries:
                    self._sleep(self.options.busy_delay * (2 ** busy_attempts))
                    busy_attempts += 1
                    continue
                if exc.error_code == "device_starting":
                    remaining = self.options.start_wait - (self._clock() - started)
                    if remaining > 0:
                        delay = max(self.options.busy_delay, 0.1) * (2 ** min(starting_attempts, 4))
                        self._sleep(min(delay, remaining))
                        starting_attempts += 1
                        continue
                if exc.error_code == "device_busy":
                    exc.details["attempts"] = busy_attempts + 1
                raise

    _with_retries = with_retries
