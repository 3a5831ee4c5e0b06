"""Fixtures shared by every test module."""

import numpy as np
import pytest

import autograd


@pytest.fixture(autouse=True)
def _seed_everything():
    """Each test starts from the same global random state."""
    autograd.manual_seed(0)
    np.random.seed(0)


@pytest.fixture(params=["fused", "composed"])
def impl(request):
    """Run a layer test once per implementation."""
    return request.param
