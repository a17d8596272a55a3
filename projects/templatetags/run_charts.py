"""A measure's run chart block (chart, legend, verdict, data table) drawn once per process for what
it shows, not on every request.

The showcase draws every measure's run chart (ten on the scale data's big cohort), and drawing
``_run_chart.html`` with its SVG was half the page's time (issue 14). ``{% run_chart %}`` reads
from the measure and its chart (``projects.selectors.measure_chart``) only plain values: the layout,
which holds every point, signal and PDSA marker in text, dates and numbers; the measure's id, name
and unit; the findings; each data point's row; whether the row actions are shown and the ids their
links need. The partial is drawn from those values alone, so they are all it can show, and they, with
the language, are the key the drawing is kept under: a new or changed data point, a renamed measure
or a moved PDSA cycle makes another key, and the block is drawn again. There is nothing to invalidate.

It is kept by ``common.drawn`` (per process, bounded, per loaded copy of the template).
"""

from django import template

from common import drawn

register = template.Library()

TEMPLATE = "projects/partials/_run_chart.html"


def run_chart_values(measure, *, cohort_pk: int, project_pk: int, show_actions: bool = False) -> dict:
    """Everything the block shows, as plain values (text, numbers, dates, lists and dicts of them)."""
    chart = measure.chart
    return {
        "measure_pk": measure.pk,
        "name": measure.name,
        "unit": measure.unit,
        "layout": chart.layout,
        "enough_data": chart.analysis.enough_data,
        "useful_observations": chart.analysis.useful_observations,
        "findings": [{"label": str(f["label"]), "text": str(f["text"]), "good": f["good"]} for f in chart.summary],
        "rows": [
            {
                "pk": row["point"].pk,
                "date": row["point"].date,
                "value": row["point"].value,
                "note": row["point"].note,
                "in_baseline": row["in_baseline"],
                "rules": [str(rule) for rule in row["rules"]],
            }
            for row in chart.rows
        ],
        "show_actions": bool(show_actions),
        "cohort_pk": cohort_pk,
        "project_pk": project_pk,
    }


@register.simple_tag
def run_chart(measure, *, cohort_pk: int, project_pk: int, show_actions: bool = False) -> str:
    """The measure's run chart block; the measure carries its ``chart`` (``measure_chart``)."""
    values = run_chart_values(measure, cohort_pk=cohort_pk, project_pk=project_pk, show_actions=show_actions)
    return drawn.drawn(TEMPLATE, values)


def cache_clear() -> None:
    drawn.cache_clear()
