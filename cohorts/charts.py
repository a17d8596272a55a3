"""Server-rendered charts of the cohort pages (geometry only; the templates draw the SVG)."""


def profession_chart(professions, *, row_height=20, bar_left=190, bar_max=170):
    """Coordinates for the server-rendered SVG bar chart of the profession mix."""
    largest = max((p.count for p in professions), default=0) or 1
    bars = []
    for index, profession in enumerate(professions):
        width = round(bar_max * profession.count / largest, 1)
        bars.append(
            {
                "label": profession.label,
                "count": profession.count,
                "y": index * row_height + 3,
                "text_y": index * row_height + 14,
                "width": width,
                "count_x": bar_left + width + 4,
            }
        )
    return {"bars": bars, "height": max(len(bars) * row_height, row_height)}
