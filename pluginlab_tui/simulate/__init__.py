"""The ChatGPT simulator: plays ChatGPT's part against a running proxy (or any plugin URL).

- client.py: sends each request (with the replay grant) and keeps it as a Call;
- identity.py: who ChatGPT says it is (its headers, stable within a run);
- discovery.py: the local proxy's store, then the manifest and the spec, the way ChatGPT did;
- signin.py: the OAuth dance, or the configured credentials;
- arguments.py: each operation's arguments from the spec's examples or its schemas;
- verdicts.py: the contract of the fetched spec, and the checks made with it;
- calls.py: calling the operations, in a conversation's order;
- simulator.py: the Simulator that runs them in turn.
"""
