"""Replay: re-send recorded requests through the proxy or straight to a target, and compare.

- request.py: what is sent (ReplayRequest), the credentials put in, the outgoing headers;
- document.py: the request as an editable text, and $VISUAL/$EDITOR;
- mcp.py: an MCP message's era, the session a handshake-era one is sent in, its answer;
- diff.py: the new answer against the original's (status, headers, JSON body; MCP: the result);
- runner.py: the Replayer that sends, reads the verdict back and checks it.
"""
