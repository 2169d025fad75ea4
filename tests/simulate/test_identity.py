"""ChatGPT's identity headers: per profile, and stable where ChatGPT keeps them stable."""

from __future__ import annotations

from pluginlab_tui.simulate.identity import USER_AGENT, Identity


def test_the_plugin_profile_sends_a_region_and_the_actions_profile_a_gpt_id() -> None:
    identity = Identity.for_base("http://127.0.0.1:8787")
    plugin = identity.headers("plugin")
    assert plugin["User-Agent"] == USER_AGENT and "ChatGPT-User" in USER_AGENT
    assert plugin["openai-subdivision-1-iso-code"] == "US-CA" and "openai-gpt-id" not in plugin
    actions = identity.headers("actions")
    assert actions["openai-gpt-id"] == identity.gpt_id and identity.gpt_id.startswith("g-")
    assert "openai-subdivision-1-iso-code" not in actions


def test_the_ephemeral_user_is_the_same_for_a_base_and_the_conversation_is_new() -> None:
    one = Identity.for_base("http://127.0.0.1:8787")
    two = Identity.for_base("http://127.0.0.1:8787")
    other = Identity.for_base("http://127.0.0.1:9999", gpt_id="g-mine")
    assert one.ephemeral_user_id == two.ephemeral_user_id != other.ephemeral_user_id
    assert one.conversation_id != two.conversation_id
    assert other.gpt_id == "g-mine"
