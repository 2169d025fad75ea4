"""The contract in service, free of mitmproxy and Textual: the spec, the factory, verdicts."""
