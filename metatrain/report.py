"""Human views of an evaluation report: the F1 table and the plot of F1 against k."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Attributes shown as table columns when present (the rest are in report.json).
TABLE_ATTRIBUTES = ("name", "price", "currency", "availability", "brand", "sku", "image")


def format_table(report: Mapping[str, Any], attributes: Sequence[str] = TABLE_ATTRIBUTES) -> str:
    """A plain-text table: one row per method and k, macro F1, attribute F1s, timings."""
    results = report.get("results", {})
    present = [
        a
        for a in attributes
        if any(a in r.get("attributes", {}) for m in results.values() for r in m.values())
    ]
    header = ["method", "k", "pages", "macro"] + present + ["adapt s", "pages/s"]
    rows = [header]
    for method, by_k in results.items():
        for k in sorted(by_k, key=int):
            r = by_k[k]
            attrs = r.get("attributes", {})
            cells = [method, k, str(r.get("pages", 0)), f"{r.get('macro_f1', 0.0):.3f}"]
            cells += [f"{attrs[a]['f1']:.3f}" if a in attrs else "-" for a in present]
            cells += [f"{r.get('adapt_seconds', 0.0):.3f}", f"{r.get('pages_per_second', 0.0):.1f}"]
            rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]  # noqa: E501
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def plot_f1(report: Mapping[str, Any], path: Path) -> Path:
    """Save a PNG of macro F1 against k, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for method, by_k in report.get("results", {}).items():
        ks = sorted(by_k, key=int)
        ax.plot(
            [int(k) for k in ks], [by_k[k].get("macro_f1", 0.0) for k in ks], "o-", label=method
        )
    ax.set_xlabel("support pages (k)")
    ax.set_ylabel("macro F1")
    ax.set_ylim(0, 1)
    ax.set_xticks(sorted({int(k) for m in report.get("results", {}).values() for k in m}))
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(Path(str(report.get("labels", ""))).parent.name or "evaluation")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
