"""One lang2vec load for the whole test session: importing it and reading the family vectors take
seconds (measured: about 3 s for the import, 4-5 s for the "fam" set), the other sets milliseconds."""

import pytest


@pytest.fixture(scope="session")
def lang2vec():
    from xbench.languages.uriel import lang2vec_module

    return lang2vec_module()
