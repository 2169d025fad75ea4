"""The event store: schema, migrations, writer thread, queries, filter language."""
