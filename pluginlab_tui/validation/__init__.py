"""OpenAPI contract checks: operation lookup, compiled validators, violations."""
