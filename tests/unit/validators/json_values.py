"""Hypothesis strategies for arbitrary JSON documents, shared by the validator tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def json_values(
    *,
    max_int: int,
    text: st.SearchStrategy[str],
    keys: st.SearchStrategy[str],
    width: int = 4,
    max_leaves: int = 20,
) -> st.SearchStrategy[Any]:
    """Scalars (integers within +-`max_int`, finite floats, `text`), nested in lists and
    objects of at most `width` members keyed by `keys`."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-max_int, max_value=max_int)
        | st.floats(allow_nan=False, allow_infinity=False)
        | text
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=width) | st.dictionaries(keys, children, max_size=width)
        ),
        max_leaves=max_leaves,
    )
