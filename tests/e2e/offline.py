"""A phone that keeps the questionnaire offline: a persistent Chromium profile, its network, what it holds."""

import contextlib
import time

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE


def open_persistent_phone(browser, profile, *, offline: bool = False):
    """A phone whose browser can be closed and opened again with the same data (IndexedDB, caches, cookies)."""
    context = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        device_scale_factor=2,
        offline=offline,
    )
    page = context.pages[0] if context.pages else context.new_page()
    return context, page


def wait_for_async(page, function: str, timeout: float = 30_000) -> None:
    """Poll an async page function until it resolves truthy (``wait_for_function`` does not await promises)."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(function):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout / 1000:.0f} s: {function}")
        page.wait_for_timeout(200)


def wait_until_kept(page, timeout: float = 30_000) -> None:
    """Wait until the code's questionnaire is on the phone: its bundle, its pages cached, the worker in control."""
    wait_for_async(
        page,
        "async () => !!navigator.serviceWorker.controller && !!window.QStore"
        " && !!(await QStore.load(document.body.dataset.offlineKey) || {}).cached",
        timeout,
    )


def started_and_kept(page, base_url: str, code: str, *, age: int = 12) -> None:
    """Enter a code online, give assent, answer the first page; wait until the questionnaire is on the phone."""
    from tests.e2e.questionnaire import start_questionnaire

    start_questionnaire(page, base_url, code, age=age)
    wait_until_kept(page)


def local_state(page) -> dict | None:
    return page.evaluate("QStore.load(document.body.dataset.offlineKey)")


def stored_on_phone(page) -> dict:
    """The names of the IndexedDB databases and caches of this origin."""
    return page.evaluate(
        "async () => ({databases: (await indexedDB.databases()).map(d => d.name), caches: await caches.keys()})"
    )


class Network:
    """The phone's network as the server sees it: a TCP relay in front of the test server that can be cut.

    Playwright's offline mode turns ``navigator.onLine`` off and fails the
    page's own requests, but a service worker's requests still go out; cutting
    this relay as well takes the server away from everything in the browser,
    as a phone out of coverage. Use :meth:`off` / :meth:`on` with a context.
    """

    def __init__(self, target_url: str):
        import socket
        import threading
        from urllib.parse import urlparse

        self._target = ("127.0.0.1", urlparse(target_url).port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.url = f"http://localhost:{self._listener.getsockname()[1]}"
        self.up = True
        self._open: set = set()
        self._lock = threading.Lock()
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading

        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()  # no coverage: refused at once
                continue
            try:
                server = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._close(sock)

    def _close(self, sock):
        import socket

        with self._lock:
            self._open.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def off(self, context) -> None:
        context.set_offline(True)
        self.up = False
        with self._lock:
            open_now = list(self._open)
        for sock in open_now:
            self._close(sock)

    def on(self, context) -> None:
        self.up = True
        context.set_offline(False)

    def close(self) -> None:
        self._stopped = True
        self._listener.close()
