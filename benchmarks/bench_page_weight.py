"""Page weight and Slow-3G time to interactive of the phone questionnaire, under the production settings.

Serves the app with gunicorn (``config.settings.production``, whitenoise's
compressed, hashed static files) over a fresh SQLite database, enters a code
and gives assent, then loads each measured page *cold* in a new Chromium
context (no HTTP cache, no service worker yet) at 360x640 under DevTools'
"Slow 3G" profile (2,000 ms latency, 50,000 bytes/s down and up; set through
CDP ``Network.emulateNetworkConditions``) and prints:

- the bytes on the wire of the page load (document, style sheet, both scripts,
  manifest: ``encodedDataLength`` from CDP, headers included), and the same
  resources gzip-compressed (what a compressing proxy in front would send for
  the HTML; whitenoise already sends the static files compressed);
- time to interactive: navigation start to the end of ``DOMContentLoaded``
  (the deferred scripts have run and every handler is attached; nothing loads
  after it that the page needs);
- the phone's copy of the code, fetched after the page is interactive: the
  bundle and the cached page templates (bytes on the wire, and the size of the
  page cache as stored, per code).

    .venv/bin/python benchmarks/bench_page_weight.py [--pages about residence_history review]

No assertion: numbers for the record only (needs Debian's chromium, as the e2e tests).
"""

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
VIEWPORT = {"width": 360, "height": 640}


def serve(folder: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"http://localhost:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(folder / "static"),
        "CACHE_URL": "locmemcache://",
    }
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DATABASE_URL", "STATIC_ROOT", "CACHE_URL")})
    python = Path(sys.executable)
    subprocess.run([str(python), "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([str(python), "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    process = subprocess.Popen(
        [str(python.parent / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)  # noqa: S310 (loopback)
            break
        except OSError:
            time.sleep(0.25)
    return process


def access_code() -> str:
    import django

    django.setup()
    from tests.factories import AccessCodeFactory

    return AccessCodeFactory().code


def measure(browser, base: str, state: dict, path: str) -> dict:
    context = browser.new_context(viewport=VIEWPORT, is_mobile=True, has_touch=True, locale="zh-CN", storage_state=state)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    requests, wire = {}, {}
    cdp.on("Network.requestWillBeSent", lambda e: requests.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(base + path, wait_until="domcontentloaded", timeout=120_000)
    tti = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
    first = {requests[i]: wire[i] for i in list(wire)}
    page.wait_for_function("() => document.body.dataset.kept", timeout=180_000)
    from tests.e2e.offline import wait_for_async

    wait_for_async(page, "async () => !!(await QStore.load(document.body.dataset.offlineKey) || {}).cached", 600_000)
    everything = {requests[i]: wire[i] for i in list(wire)}
    copy = {url: size for url, size in everything.items() if url not in first}
    stored = page.evaluate(
        "caches.open('q-pages-' + document.body.dataset.offlineKey).then(c => c.keys())"
        ".then(r => Promise.all(r.map(q => caches.match(q).then(p => p.text()))))"
        ".then(texts => texts.reduce((n, t) => n + new Blob([t]).size, 0))"
    )
    bundle = page.evaluate("QStore.load(document.body.dataset.offlineKey).then(s => new Blob([JSON.stringify(s)]).size)")
    gzipped = 0
    for url in first:
        with urllib.request.urlopen(url.replace("localhost", "127.0.0.1")) if "/static/" in url or "manifest" in url else _get(context, url) as body:  # noqa: S310
            gzipped += len(gzip.compress(body.read(), 6))
    context.close()
    return {"path": path, "tti_ms": tti, "first": first, "gzipped": gzipped, "copy": copy, "stored": stored + bundle}


class _Body:
    def __init__(self, data: bytes):
        self._data = data

    def read(self) -> bytes:
        return self._data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _get(context, url: str) -> _Body:
    return _Body(context.request.get(url).body())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", nargs="+", default=["about", "residence_history", "review"])
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS, _free_port

    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        base = f"http://localhost:{port}"
        server = serve(Path(folder), port)
        try:
            code = access_code()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=VIEWPORT, service_workers="block")
                page = context.new_page()
                page.goto(base + "/")
                page.fill("input[name=code]", code)
                page.click("button[type=submit].primary")
                page.wait_for_url("**/q/assent/")
                page.check("input[name=agree]")
                page.click("button.primary")
                page.wait_for_url("**/q/about/")
                page.select_option("select[name=birth_year]", str(time.localtime().tm_year - 13))
                page.select_option("select[name=birth_month]", "1")
                page.click("button[name=next]")
                page.wait_for_url("**/q/parents_now/")
                state = context.storage_state()
                context.close()
                print(f"Slow 3G (latency {SLOW_3G['latency']} ms, {SLOW_3G['downloadThroughput']} B/s), 360x640, cold cache")
                for name in args.pages:
                    path = "/q/review/" if name == "review" else f"/q/{name}/"
                    result = measure(browser, base, state, path)
                    print(f"\n{path}")
                    for url, size in result["first"].items():
                        print(f"  {size:>8,} B  {url.replace(base, '')}")
                    print(f"  first load on the wire: {sum(result['first'].values()):,} B; all of it gzip-compressed: {result['gzipped']:,} B")
                    print(f"  time to interactive (DOMContentLoaded end): {result['tti_ms']:,.0f} ms")
                    print(
                        f"  offline copy of the code, after that: {len(result['copy'])} requests, {sum(result['copy'].values()):,} B on the wire;"
                        f" stored on the phone {result['stored']:,} B (page cache + IndexedDB)"
                    )
                browser.close()
        finally:
            server.terminate()
            server.wait(15)


if __name__ == "__main__":
    main()
