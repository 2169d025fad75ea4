"""Replay: re-send recorded requests through the proxy or straight to a target, and compare.

- request.py: what is sent (ReplayRequest), the credentials put in, the outgoing headers;
- document.py: the request as an editable text, and $VISUAL/$EDITOR;
- diff.py: the new answer against the original's (status, headers, JSON body);
- runner.py: the Replayer that sends, reads the verdict back and checks it.
"""
