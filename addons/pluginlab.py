"""pluginlab-tui as a script for stock mitmproxy.

    mitmdump --mode reverse:http://127.0.0.1:8000 -s addons/pluginlab.py \
        --set pluginlab_config=pluginlab.toml
"""

from pluginlab_tui.proxy.addon import PluginLab

addons = [PluginLab()]
