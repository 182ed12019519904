"""LightGBM boosters compiled to native code for serving (Treelite and TL2cgen).

LightGBM's own predictor reads its trees through a general interpreter: the demo's
champion (293 trees of 8 leaves) takes 8.7 ms for 1,000 rows on one thread. TL2cgen
writes the same trees as C, which the machine's C compiler builds into a library:
2.2 ms, and the same probabilities to the last bit (``docs/benchmarks.md``).

The API server compiles its model when it loads it, into a private temporary folder
that is removed as soon as the library is loaded: no library is ever read back that
this process did not just build. The compiled model must give the booster's answers
on the serving card's background rows, or the booster keeps predicting; so it does
without a C compiler.
"""

import contextlib
import io
import logging
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from atelier.serve._threads import estimator_parts

logger = logging.getLogger("atelier.serve")

COMPILERS = ("gcc", "cc", "clang")
_TOLERANCE = 1e-9  # the compiled trees compute in double precision, as LightGBM does


class CompiledLightGBM:
    """A fitted LightGBM model's predictions, computed by its trees compiled to C.

    Parameters
    ----------
    booster : lightgbm.LGBMModel
        The fitted model. Its ``n_jobs``, which the server sets per call, is read at
        each call: 1 predicts on one thread, any other value on every usable core.
    library : Path
        The shared library TL2cgen built from its trees.
    """

    def __init__(self, booster, library: Path):
        import joblib
        import tl2cgen

        self.booster = booster
        self.classes_ = getattr(booster, "classes_", None)
        self.n_features_in_ = booster.n_features_in_
        self._one_thread = tl2cgen.Predictor(str(library), nthread=1)
        self._every_thread = tl2cgen.Predictor(str(library), nthread=joblib.cpu_count())

    def _scores(self, X) -> np.ndarray:
        import tl2cgen

        one = self.booster.n_jobs == 1  # an attribute: get_params inspects signatures
        predictor = self._one_thread if one else self._every_thread
        matrix = tl2cgen.DMatrix(np.asarray(X, dtype=np.float64))
        return np.asarray(predictor.predict(matrix)).reshape(len(X), -1)

    def predict_proba(self, X) -> np.ndarray:
        """Each class's probability, as ``LGBMClassifier.predict_proba`` gives it."""
        scores = self._scores(X)
        if scores.shape[1] == 1:  # binary: the positive class's probability
            return np.column_stack([1.0 - scores[:, 0], scores[:, 0]])
        return scores

    def predict(self, X) -> np.ndarray:
        """The predicted value (regressors) or class (classifiers)."""
        if self.classes_ is None:
            return self._scores(X)[:, 0]
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


def compile_boosters(model, sample) -> int:
    """Compile each LightGBM booster inside ``model`` (a fitted pipeline) to native code.

    A booster is swapped for its :class:`CompiledLightGBM` in place. The swap is kept
    only if the model then answers ``sample`` as before.

    Parameters
    ----------
    model : estimator
        The served pipeline; boosters are found in its steps, ensembles' members and
        wrappers (an attribute ``model_`` holding a LightGBM model).
    sample : DataFrame
        Rows the model can read (the serving card's background).

    Returns
    -------
    int
        How many boosters are now compiled (0 without a C compiler).
    """
    owners = [part for part in estimator_parts(model) if _holds_lightgbm(part)]
    if not owners:
        return 0
    compiler = next((name for name in COMPILERS if shutil.which(name)), None)
    if compiler is None:
        logger.warning("no C compiler (gcc): LightGBM predicts with its own interpreter")
        return 0
    import tl2cgen
    import treelite

    started = time.perf_counter()
    before = _answers(model, sample)
    originals = [owner.model_ for owner in owners]
    folder = Path(tempfile.mkdtemp(prefix="atelier-compiled-"))
    try:
        for index, owner in enumerate(owners):
            library = folder / f"booster-{index}.so"
            # TL2cgen prints its progress; the server's log says what matters
            with contextlib.redirect_stdout(io.StringIO()):
                tl2cgen.export_lib(
                    treelite.frontend.from_lightgbm(owner.model_.booster_),
                    toolchain=compiler,
                    libpath=str(library),
                    # quantized: each threshold is compared as its rank among the
                    # tree's thresholds, a fifth quicker here and the same answers
                    params={"parallel_comp": 2, "quantize": 1},
                    nthread=2,
                    verbose=False,
                )
            owner.model_ = CompiledLightGBM(owner.model_, library)
    except (treelite.TreeliteError, tl2cgen.TL2cgenError, OSError) as error:
        _restore(owners, originals)
        logger.warning("LightGBM predicts with its own interpreter: compiling failed (%s)", error)
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the loaded libraries stay mapped
    if not np.allclose(_answers(model, sample), before, rtol=0, atol=_TOLERANCE):
        _restore(owners, originals)
        logger.warning("LightGBM predicts with its own interpreter: the compiled trees disagreed")
        return 0
    logger.info(
        "compiled %d LightGBM booster(s) to native code in %.1f s",
        len(owners),
        time.perf_counter() - started,
    )
    return len(owners)


def _answers(model, sample) -> np.ndarray:
    method = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    return np.asarray(method(sample), dtype=np.float64)


def _restore(owners, originals) -> None:
    for owner, original in zip(owners, originals, strict=True):
        owner.model_ = original


def _holds_lightgbm(part) -> bool:
    import lightgbm

    return isinstance(getattr(part, "model_", None), lightgbm.LGBMModel)
