"""The plugin files: manifest and spec loading, lint rules, versions and diffs."""
