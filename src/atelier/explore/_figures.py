"""The exploration's charts: each titled, with labelled axes, readable at report size."""

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

_BLUE, _RED, _GREY = "#2f5d8a", "#c0392b", "#888888"


def _figure(width: float, height: float, panels: int = 1):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    return figure, figure.subplots(1, panels, squeeze=False)[0]


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=100, facecolor="white")
    return path


def draw_by_target(
    frame: pd.DataFrame,
    tests: list[dict],
    numeric: list[str],
    target: str,
    target_kind: str,
    positive_class,
    path: Path,
) -> Path:
    """The four features most related to the target, each shown against it."""
    shown = [t["feature"] for t in tests if t.get("p_adjusted") is not None][:4]
    figure, axes = _figure(4 * max(len(shown), 1), 3.6, max(len(shown), 1))
    for ax, feature in zip(axes, shown, strict=False):
        data = frame[[feature, target]].dropna()
        if target_kind == "numeric" and feature in numeric:
            ax.scatter(data[feature], data[target], s=4, alpha=0.3, color=_BLUE)
            ax.set_xlabel(feature)
            ax.set_ylabel(target)
        elif feature in numeric:
            classes = sorted(data[target].unique(), key=str)
            ax.boxplot(
                [data.loc[data[target] == c, feature] for c in classes],
                tick_labels=[str(c) for c in classes],
                showfliers=False,
            )
            ax.set_xlabel(target)
            ax.set_ylabel(feature)
        else:
            rate = data.groupby(feature)[target].apply(
                lambda s: (s == positive_class).mean() if target_kind != "numeric" else s.mean()
            )
            rate = rate.sort_values()
            ax.barh(
                [str(v)[:24] for v in rate.index],
                100 * rate.to_numpy() if target_kind != "numeric" else rate.to_numpy(),
                color=_BLUE,
            )
            ax.set_xlabel(
                f"{target} = {positive_class} (% of rows)"
                if target_kind != "numeric"
                else f"mean {target}"
            )
        ax.set_title(feature, fontsize=10, loc="left")
    figure.suptitle(f"The features most related to {target}", x=0.01, ha="left")
    return _save(figure, path)


def draw_associations(associations: dict, path: Path) -> Path:
    """A heatmap of pairwise associations (0: none, 1: one column determines the other)."""
    columns, matrix = associations["columns"], np.array(associations["matrix"], dtype=float)
    size = max(5.0, 0.38 * len(columns) + 2)
    figure, (ax,) = _figure(size + 1, size)
    image = ax.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
    ax.set_xticks(range(len(columns)), columns, rotation=90, fontsize=7)
    ax.set_yticks(range(len(columns)), columns, fontsize=7)
    figure.colorbar(image, ax=ax, fraction=0.04, label="association (0 to 1)")
    ax.set_title("Association between columns\n" + associations["method"], fontsize=9, loc="left")
    return _save(figure, path)


def draw_pca(pca: dict, labels: pd.Series | None, path: Path) -> Path:
    """Variance explained per component, and the rows on the first two components."""
    figure, (scree, plane) = _figure(11, 4.2, 2)
    ratios = np.array(pca["explained_variance"])
    shown = min(len(ratios), 20)
    scree.bar(range(1, shown + 1), 100 * ratios[:shown], color=_BLUE, label="each component")
    scree.plot(
        range(1, shown + 1),
        100 * np.array(pca["cumulative_variance"][:shown]),
        color=_RED,
        marker="o",
        markersize=3,
        label="cumulative",
    )
    scree.axvline(
        pca["components_kept"], color=_GREY, linestyle="--", label=f"{pca['components_kept']} kept"
    )
    scree.set_xlabel("principal component")
    scree.xaxis.set_major_locator(MaxNLocator(integer=True))
    scree.set_ylabel("variance explained (%)")
    scree.set_title("How many components", loc="left", fontsize=10)
    scree.legend(fontsize=8)
    points = pca["projection"]
    if labels is None:
        plane.scatter(points[:, 0], points[:, 1], s=3, alpha=0.4, color=_BLUE)
    else:
        for index, value in enumerate(sorted(labels.unique(), key=str)[:8]):
            mask = (labels == value).to_numpy()
            plane.scatter(
                points[mask, 0],
                points[mask, 1],
                s=3,
                alpha=0.4,
                label=str(value),
                color=[_BLUE, _RED, "#2e7d4f", "#8e44ad", "#d68910", "#17a589", _GREY, "#34495e"][
                    index
                ],
            )
        plane.legend(title=labels.name, fontsize=8, markerscale=3)
    plane.set_xlabel(f"component 1 ({100 * ratios[0]:.0f}% of variance)")
    plane.set_ylabel(f"component 2 ({100 * ratios[1]:.0f}% of variance)" if len(ratios) > 1 else "")
    plane.set_title("Rows on the first two components", loc="left", fontsize=10)
    return _save(figure, path)


def draw_ranking(ranking: list[dict], target: str, path: Path) -> Path:
    """Features by mutual information with the target."""
    shown = ranking[:20][::-1]
    figure, (ax,) = _figure(7, max(2.5, 0.3 * len(shown) + 1))
    ax.barh([r["feature"] for r in shown], [r["mutual_information"] for r in shown], color=_BLUE)
    ax.set_xlabel(f"mutual information with {target} (nats)")
    ax.set_title(f"What tells most about {target}", loc="left", fontsize=10)
    return _save(figure, path)


def draw_clustering(clustering: dict, path: Path) -> Path:
    """Silhouette of k-means and BIC of the Gaussian mixture for each number of segments."""
    figure, (left, right) = _figure(10, 3.6, 2)
    silhouette = clustering["kmeans"]["silhouette"]
    left.plot(list(silhouette), list(silhouette.values()), marker="o", color=_BLUE)
    left.axvline(clustering["kmeans"]["k"], color=_GREY, linestyle="--")
    left.set_xlabel("number of segments (k-means)")
    left.set_ylabel("silhouette (higher is better)")
    left.set_title("k-means: choosing k", loc="left", fontsize=10)
    bic = clustering["gaussian_mixture"]["bic"]
    right.plot(list(bic), list(bic.values()), marker="o", color=_RED)
    right.axvline(clustering["gaussian_mixture"]["k"], color=_GREY, linestyle="--")
    right.set_xlabel("number of components (Gaussian mixture)")
    right.set_ylabel("BIC (lower is better)")
    right.set_title("Gaussian mixture: choosing k", loc="left", fontsize=10)
    return _save(figure, path)


def draw_effects(regression: dict, path: Path) -> Path:
    """Crude against adjusted effect of each term; confounded terms in red."""
    terms = regression["terms"][:25]
    binary = regression["model"] == "logistic regression"
    crude = [t["crude_odds_ratio"] if binary else t["crude"] for t in terms]
    adjusted = [t["adjusted_odds_ratio"] if binary else t["adjusted"] for t in terms]
    figure, (ax,) = _figure(8, max(3, 0.32 * len(terms) + 1.2))
    rows = np.arange(len(terms))
    ax.scatter(crude, rows, marker="o", facecolors="none", edgecolors=_GREY, label="crude (alone)")
    ax.scatter(
        adjusted,
        rows,
        marker="D",
        s=18,
        color=[_RED if t["confounded"] else _BLUE for t in terms],
        label="adjusted (red: confounded: significant alone, changed > 10%)",
    )
    ax.axvline(1 if binary else 0, color=_GREY, linewidth=0.8)
    if binary:
        ax.set_xscale("log")
    ax.set_yticks(rows, [t["term"][:30] for t in terms], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("odds ratio (log scale)" if binary else "effect on the target")
    ax.set_title(f"Crude and adjusted effects ({regression['model']})", loc="left", fontsize=10)
    ax.legend(fontsize=8)
    return _save(figure, path)
