"""Fewer dimensions: PCA for structure, mutual information for what predicts the target."""

import time

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from atelier.explore._multivariate import design_matrix

VARIANCE_KEPT = 0.90
SEED = 0


def standardised_design(
    frame: pd.DataFrame, numeric: list[str], categorical: list[str]
) -> pd.DataFrame:
    """Numbers and category indicators, missing values filled, each scaled to unit variance."""
    design = design_matrix(frame, numeric, categorical)
    design = design.fillna(design.median())
    scaled = StandardScaler().fit_transform(design)
    return pd.DataFrame(scaled, columns=design.columns, index=design.index)


def principal_components(design: pd.DataFrame) -> dict:
    """PCA: variance explained, loadings, and how many components to keep and why."""
    pca = PCA(random_state=SEED).fit(design)
    ratios = pca.explained_variance_ratio_
    cumulative = np.cumsum(ratios)
    kept = int(np.searchsorted(cumulative, VARIANCE_KEPT) + 1)
    kaiser = int((pca.explained_variance_ > 1).sum())
    loadings = []
    for index, component in enumerate(pca.components_[: min(kept, 10)]):
        order = np.argsort(-np.abs(component))[:5]
        loadings.append(
            {
                "component": index + 1,
                "explained_variance": float(ratios[index]),
                "top_loadings": {design.columns[i]: float(component[i]) for i in order},
            }
        )
    return {
        "n_inputs": design.shape[1],
        "explained_variance": ratios.round(6).tolist(),
        "cumulative_variance": cumulative.round(6).tolist(),
        "components_kept": kept,
        "why": f"the fewest components explaining at least {VARIANCE_KEPT:.0%} of the variance "
        f"of the {design.shape[1]} standardised inputs; Kaiser's rule (eigenvalue > 1) "
        f"would keep {kaiser}",
        "kaiser_components": kaiser,
        "loadings": loadings,
        "projection": pca.transform(design)[:, :2],
    }


def feature_ranking(
    frame: pd.DataFrame, numeric: list[str], categorical: list[str], target: str, target_kind: str
) -> list[dict]:
    """Features ranked by mutual information with the target (a supervised ranking)."""
    data = frame[[*numeric, *categorical, target]].dropna()
    encoded = pd.DataFrame(
        {c: data[c].astype(float) for c in numeric}
        | {c: pd.factorize(data[c])[0] for c in categorical}
    )
    discrete = [c in categorical for c in encoded.columns]
    if target_kind == "numeric":
        scores = mutual_info_regression(
            encoded, data[target].astype(float), discrete_features=discrete, random_state=SEED
        )
    else:
        scores = mutual_info_classif(
            encoded, pd.factorize(data[target])[0], discrete_features=discrete, random_state=SEED
        )
    ranked = sorted(zip(encoded.columns, scores, strict=True), key=lambda item: -item[1])
    return [{"feature": name, "mutual_information": float(score)} for name, score in ranked]


def selection_gain(
    frame: pd.DataFrame,
    ranking: list[dict],
    numeric: list[str],
    categorical: list[str],
    target: str,
    target_kind: str,
) -> dict:
    """Cross-validated score and fit time with every feature, then with the top half."""
    if target_kind not in {"binary", "numeric"} or len(ranking) < 4:
        return {}
    top = [entry["feature"] for entry in ranking[: max(2, len(ranking) // 2)]]
    data = frame[[*numeric, *categorical, target]].dropna()
    outcome = (
        data[target].astype(float) if target_kind == "numeric" else pd.factorize(data[target])[0]
    )
    estimator = Ridge() if target_kind == "numeric" else LogisticRegression(max_iter=1000)
    scoring = "r2" if target_kind == "numeric" else "roc_auc"

    def evaluate(columns: list[str]) -> dict:
        design = design_matrix(
            data, [c for c in numeric if c in columns], [c for c in categorical if c in columns]
        )
        clock = time.perf_counter()
        scores = cross_validate(
            make_pipeline(StandardScaler(), estimator), design, outcome, cv=5, scoring=scoring
        )
        return {
            "features": len(columns),
            "score": float(np.mean(scores["test_score"])),
            "fit_seconds": float(np.sum(scores["fit_time"])),
            "wall_seconds": time.perf_counter() - clock,
        }

    every, reduced = evaluate(numeric + categorical), evaluate(top)
    return {
        "metric": scoring,
        "model": type(estimator).__name__,
        "all": every,
        "top": reduced,
        "kept_features": top,
        "time_saved": 1 - reduced["fit_seconds"] / every["fit_seconds"]
        if every["fit_seconds"]
        else 0.0,
        "score_change": reduced["score"] - every["score"],
    }
