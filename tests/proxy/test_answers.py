from __future__ import annotations

import json

from pluginlab_tui.proxy.answers import error_response, json_response


def test_json_answers_are_made_whatever_text_they_echo() -> None:
    plain = json_response(200, {"a": "café"})
    assert plain.content == '{"a": "café"}'.encode()
    echoed = error_response(403, "ip_denied", "\udcff\udcfe is not in auth.allow_ips")
    assert echoed.status_code == 403
    assert json.loads(echoed.content or b"")["message"].startswith("\udcff\udcfe")
