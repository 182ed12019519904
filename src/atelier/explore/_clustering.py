"""Segments: k-means with k chosen by silhouette, a Gaussian mixture by BIC, in plain words."""

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture

# Kaufman and Rousseeuw: below this mean silhouette the data show no substantial
# structure; the groups k-means returns are then not real segments
SILHOUETTE_FLOOR = 0.25

K_RANGE = range(2, 9)
SILHOUETTE_SAMPLE = 3_000
SEED = 0


def segments(
    design: pd.DataFrame,
    frame: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    target: str | None,
    positive_class=None,
) -> dict:
    """Cluster the standardised rows; choose k; describe each k-means segment."""
    values = design.to_numpy()
    silhouettes = {}
    models = {}
    for k in K_RANGE:
        if k >= len(values):
            break
        model = KMeans(n_clusters=k, n_init=4, random_state=SEED).fit(values)
        models[k] = model
        silhouettes[k] = float(
            silhouette_score(
                values,
                model.labels_,
                random_state=SEED,
                sample_size=min(SILHOUETTE_SAMPLE, len(values)),
            )
        )
    if not silhouettes:
        return {}
    best = max(silhouettes, key=silhouettes.get)
    labels = models[best].labels_
    bic = {}
    for k in range(1, max(K_RANGE) + 1):
        if k >= len(values):
            break
        mixture = GaussianMixture(n_components=k, covariance_type="diag", random_state=SEED)
        bic[k] = float(mixture.fit(values).bic(values))
    best_mixture = min(bic, key=bic.get)
    mixture_why = f"{best_mixture} components minimise the BIC"
    if best_mixture == max(bic):
        mixture_why += " at the edge of the range tried: the data may hold more, or no clear groups"
    return {
        "kmeans": {
            "k": best,
            "silhouette": silhouettes,
            "why": f"k = {best} has the highest silhouette ({silhouettes[best]:.3f})",
            "silhouette_floor": SILHOUETTE_FLOOR,
            "structured": bool(silhouettes[best] >= SILHOUETTE_FLOOR),
        },
        "gaussian_mixture": {"k": best_mixture, "bic": bic, "why": mixture_why},
        "profiles": describe_segments(frame, labels, numeric, categorical, target, positive_class),
        "labels": labels,
    }


def describe_segments(
    frame: pd.DataFrame,
    labels: np.ndarray,
    numeric: list[str],
    categorical: list[str],
    target: str | None,
    positive_class=None,
) -> list[dict]:
    """What sets each segment apart, in plain words: the three largest differences."""
    profiles = []
    for segment in sorted(set(labels)):
        inside = frame[labels == segment]
        differences = []
        for column in numeric:
            spread = frame[column].std()
            if spread:
                shift = (inside[column].mean() - frame[column].mean()) / spread
                word = "higher" if shift > 0 else "lower"
                differences.append(
                    (
                        abs(shift),
                        f"{word} {column} ({inside[column].mean():.4g} "
                        f"vs {frame[column].mean():.4g} overall)",
                    )
                )
        for column in categorical:
            share_in = inside[column].value_counts(normalize=True)
            share_all = frame[column].value_counts(normalize=True)
            value = (share_in - share_all.reindex(share_in.index)).abs().idxmax()
            gap = share_in[value] - share_all[value]
            differences.append(
                (
                    abs(gap) * 2,
                    f"{'more' if gap > 0 else 'fewer'} {column} = "
                    f"{value} ({share_in[value]:.0%} vs {share_all[value]:.0%})",
                )
            )
        top = [text for _, text in sorted(differences, reverse=True)[:3]]
        profile = {
            "segment": int(segment) + 1,
            "rows": len(inside),
            "share": float(len(inside) / len(frame)),
            "distinguished_by": top,
        }
        if target is not None and positive_class is not None:
            profile["target_rate"] = float((inside[target] == positive_class).mean())
        profile["summary"] = (
            f"Segment {profile['segment']} ({profile['share']:.0%} of rows): " + "; ".join(top)
        )
        profiles.append(profile)
    return profiles
