"""Event and flow ids from the pool: UUID4s, none twice, across threads and a fork."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from pluginlab_tui import ids


def test_ids_are_version_4_uuids_and_never_repeat_across_many_pools() -> None:
    made = [ids.new_id() for _ in range(ids.POOL * 8 + 3)]
    assert len(set(made)) == len(made)
    assert all(uuid.UUID(text).version == 4 for text in made)
    assert all(str(uuid.UUID(text)) == text for text in made)


def test_threads_taking_ids_at_once_get_distinct_ones() -> None:
    found: list[list[str]] = [[] for _ in range(4)]

    def take(into: list[str]) -> None:
        into.extend(ids.new_id() for _ in range(2000))

    threads = [threading.Thread(target=take, args=(into,)) for into in found]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for into in found for i in into]
    assert len(set(every)) == len(every) == 8000


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_does_not_take_the_ids_left_in_its_parents_pool() -> None:
    ids.new_id()  # the pool now holds ids not yet taken
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next id, to the parent
        os.close(read)
        os.write(write, ids.new_id().encode())
        os._exit(0)
    os.close(write)
    from_child = os.read(read, 100).decode()
    os.close(read)
    os.waitpid(child, 0)
    assert from_child != ids.new_id()
