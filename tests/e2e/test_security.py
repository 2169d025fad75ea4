"""Security under load: the user_http matrix fired concurrently lets nobody in, and no secret
reaches the store or any export."""

from __future__ import annotations

import base64
import itertools
import threading
from pathlib import Path

from pluginlab_tui.examples import Backend
from tests.access.helpers import add_user, cli, todo_count, unique
from tests.conftest import ProxyFactory


def test_the_matrix_under_concurrent_load_has_no_bypass(
    start_proxy: ProxyFactory, todo_backend: Backend, tmp_path: Path
) -> None:
    proxy = start_proxy(auth={"mode": "user_http"})
    good = add_user(proxy, unique("alice"))
    mallory = unique("mallory")
    revoked = add_user(proxy, mallory)
    assert cli("users", "revoke", mallory, "--config", str(proxy.config))[0] == 0
    variants = {
        "right": {"Authorization": f"Bearer {good}"},
        "none": {},
        "malformed": {"Authorization": "Bearer"},
        "wrong": {"Authorization": f"Bearer {good[:-2]}xx"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "basic": {"Authorization": "Basic " + base64.b64encode(good.encode()).decode()},
        "other header": {"X-Api-Key": good},
    }
    who = unique("load")
    results: list[tuple[str, int]] = []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        names = itertools.islice(itertools.cycle(variants), offset, offset + 35)  # bounded
        with proxy.client() as client:
            for name in names:
                status = client.post(
                    f"/todos/{who}", json={"title": f"{name}"}, headers=variants[name]
                ).status_code
                with lock:
                    results.append((name, status))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 * 35
    wrongly = [(n, s) for n, s in results if (s == 201) != (n == "right")]
    assert wrongly == [], "a request got the wrong answer"
    assert todo_count(todo_backend, who) == sum(1 for n, _ in results if n == "right")

    har, curl = tmp_path / "all.har", tmp_path / "all.sh"
    assert cli("export", "har", "--config", str(proxy.config), "-o", str(har))[0] == 0
    assert cli("export", "curl", "--config", str(proxy.config), "-o", str(curl))[0] == 0
    proxy.stop()
    places = [proxy.db, Path(f"{proxy.db}-wal"), har, curl]
    for place in places:
        if place.exists():
            data = place.read_bytes()
            for secret in (good, revoked, good[:-2]):
                assert secret.encode() not in data, f"a key was found in {place.name}"
            assert base64.b64encode(good.encode()) not in data
