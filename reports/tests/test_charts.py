import datetime

from reports.charts import run_chart


def test_run_chart_turns_the_snapshots_iso_dates_back_into_dates_for_the_shared_partial():
    measure = {
        "rows": [{"date": "2026-03-03", "value": 18.5}],
        "layout": {
            "width": "720",
            "points": [{"x": "100", "date": "2026-03-03", "value": 18.5}],
            "x_labels": [{"x": "100", "label": "2026-03-03"}],
        },
    }

    chart = run_chart(measure)

    assert chart["width"] == "720"
    assert chart["points"] == [{"x": "100", "date": datetime.date(2026, 3, 3), "value": 18.5}]
    assert chart["x_labels"] == [{"x": "100", "label": datetime.date(2026, 3, 3)}]
    assert measure["layout"]["points"][0]["date"] == "2026-03-03"  # the snapshot itself is not changed


def test_run_chart_is_none_without_a_measure_or_data():
    assert run_chart(None) is None
    assert run_chart({"rows": [], "layout": {"points": [], "x_labels": []}}) is None
