"""The exploration's charts: each titled, with labelled axes, readable at report size."""

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from atelier._text import Text

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
    say: Text,
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
                say("fig_share_of_rows", target=target, positive=positive_class)
                if target_kind != "numeric"
                else say("fig_mean_of", target=target)
            )
        ax.set_title(feature, fontsize=10, loc="left")
    figure.suptitle(say("fig_most_related", target=target), x=0.01, ha="left")
    return _save(figure, path)


def draw_associations(associations: dict, path: Path, say: Text) -> Path:
    """A heatmap of pairwise associations (0: none, 1: one column determines the other)."""
    columns, matrix = associations["columns"], np.array(associations["matrix"], dtype=float)
    size = max(5.0, 0.38 * len(columns) + 2)
    figure, (ax,) = _figure(size + 1, size)
    image = ax.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
    ax.set_xticks(range(len(columns)), columns, rotation=90, fontsize=7)
    ax.set_yticks(range(len(columns)), columns, fontsize=7)
    figure.colorbar(image, ax=ax, fraction=0.04, label=say("fig_association"))
    ax.set_title(
        say("fig_associations_title") + "\n" + say.term(associations["method"]),
        fontsize=9,
        loc="left",
    )
    return _save(figure, path)


def draw_pca(pca: dict, labels: pd.Series | None, path: Path, say: Text) -> Path:
    """Variance explained per component, and the rows on the first two components."""
    figure, (scree, plane) = _figure(11, 4.2, 2)
    ratios = np.array(pca["explained_variance"])
    shown = min(len(ratios), 20)
    scree.bar(
        range(1, shown + 1), 100 * ratios[:shown], color=_BLUE, label=say("fig_each_component")
    )
    scree.plot(
        range(1, shown + 1),
        100 * np.array(pca["cumulative_variance"][:shown]),
        color=_RED,
        marker="o",
        markersize=3,
        label=say("fig_cumulative"),
    )
    scree.axvline(
        pca["components_kept"],
        color=_GREY,
        linestyle="--",
        label=say("fig_kept", k=pca["components_kept"]),
    )
    scree.set_xlabel(say("fig_component"))
    scree.xaxis.set_major_locator(MaxNLocator(integer=True))
    scree.set_ylabel(say("fig_variance"))
    scree.set_title(say("fig_how_many"), loc="left", fontsize=10)
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
    plane.set_xlabel(say("fig_component_n", n=1, share=say.number(100 * ratios[0])))
    plane.set_ylabel(
        say("fig_component_n", n=2, share=say.number(100 * ratios[1])) if len(ratios) > 1 else ""
    )
    plane.set_title(say("fig_rows_on_plane"), loc="left", fontsize=10)
    return _save(figure, path)


def draw_ranking(ranking: list[dict], target: str, path: Path, say: Text) -> Path:
    """Features by mutual information with the target."""
    shown = ranking[:20][::-1]
    figure, (ax,) = _figure(7, max(2.5, 0.3 * len(shown) + 1))
    ax.barh([r["feature"] for r in shown], [r["mutual_information"] for r in shown], color=_BLUE)
    ax.set_xlabel(say("fig_mutual_information", target=target))
    ax.set_title(say("fig_tells_most", target=target), loc="left", fontsize=10)
    return _save(figure, path)


def draw_clustering(clustering: dict, path: Path, say: Text) -> Path:
    """Silhouette of k-means and BIC of the Gaussian mixture for each number of segments."""
    figure, (left, right) = _figure(10, 3.6, 2)
    silhouette = clustering["kmeans"]["silhouette"]
    left.plot(list(silhouette), list(silhouette.values()), marker="o", color=_BLUE)
    left.axvline(clustering["kmeans"]["k"], color=_GREY, linestyle="--")
    left.set_xlabel(say("fig_segments_k"))
    left.set_ylabel(say("fig_silhouette"))
    left.set_title(say("fig_kmeans_title"), loc="left", fontsize=10)
    bic = clustering["gaussian_mixture"]["bic"]
    right.plot(list(bic), list(bic.values()), marker="o", color=_RED)
    right.axvline(clustering["gaussian_mixture"]["k"], color=_GREY, linestyle="--")
    right.set_xlabel(say("fig_mixture_k"))
    right.set_ylabel(say("fig_bic"))
    right.set_title(say("fig_mixture_title"), loc="left", fontsize=10)
    return _save(figure, path)


def draw_effects(regression: dict, path: Path, say: Text) -> Path:
    """Crude against adjusted effect of each term; confounded terms in red."""
    terms = regression["terms"][:25]
    binary = regression["model"] == "logistic regression"
    crude = [t["crude_odds_ratio"] if binary else t["crude"] for t in terms]
    adjusted = [t["adjusted_odds_ratio"] if binary else t["adjusted"] for t in terms]
    figure, (ax,) = _figure(8, max(3, 0.32 * len(terms) + 1.2))
    rows = np.arange(len(terms))
    ax.scatter(crude, rows, marker="o", facecolors="none", edgecolors=_GREY, label=say("fig_crude"))
    ax.scatter(
        adjusted,
        rows,
        marker="D",
        s=18,
        color=[_RED if t["confounded"] else _BLUE for t in terms],
        label=say("fig_adjusted"),
    )
    ax.axvline(1 if binary else 0, color=_GREY, linewidth=0.8)
    if binary:
        ax.set_xscale("log")
    ax.set_yticks(rows, [t["term"][:30] for t in terms], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(say("fig_odds_ratio") if binary else say("fig_effect"))
    ax.set_title(
        say("fig_effects_title", model=say.term(regression["model"])), loc="left", fontsize=10
    )
    # below the axes: inside, the legend would hide points
    below = 0.6 / max(figure.get_figheight() - 1.2, 1.0)  # 0.6 inch under the axes
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -below))
    return _save(figure, path)
