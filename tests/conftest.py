"""Shared fixtures.  ``course_utils`` is imported first so that TensorFlow,
imported later by some tests, starts quiet."""
import zlib

import course_utils  # noqa: F401
import numpy as np
import pytest


@pytest.fixture
def rng(request):
    """A numpy Generator seeded from the test's id: reproducible, different per test case."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs whole lessons (minutes); deselect with -m 'not slow'")


@pytest.fixture(scope="session")
def keras():
    """Keras, imported once (after course_utils, so TensorFlow starts quiet)."""
    import keras

    return keras
