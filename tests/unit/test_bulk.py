"""core.bulk: a bulk write raises the collector's thresholds and always restores them."""

import gc
import threading

import pytest

from portal.core.bulk import BULK_GC_THRESHOLD, fewer_collections


def test_thresholds_raised_inside_and_restored_after_even_on_error():
    before = gc.get_threshold()
    assert before != BULK_GC_THRESHOLD
    with pytest.raises(RuntimeError):
        with fewer_collections():
            assert gc.get_threshold() == BULK_GC_THRESHOLD
            with fewer_collections():  # nested: the inner exit keeps the outer's setting
                pass
            assert gc.get_threshold() == BULK_GC_THRESHOLD
            raise RuntimeError
    assert gc.get_threshold() == before


def test_concurrent_users_share_one_setting():
    before = gc.get_threshold()
    inside, leave = threading.Event(), threading.Event()

    def other():
        with fewer_collections():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with fewer_collections():
        pass
    assert gc.get_threshold() == BULK_GC_THRESHOLD  # the other thread is still inside
    leave.set()
    thread.join()
    assert gc.get_threshold() == before
