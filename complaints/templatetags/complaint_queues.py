"""`{% queue_result_list cl %}`: Django's `{% result_list cl %}` for the complaint queues, with
each row written by the queue's changelist in one piece (complaints.admin.complaints.QueueRows)
instead of cell by cell through `items_for_result`. The headers, the template and the markup
are Django's."""

from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import ResultList, result_headers
from django.contrib.admin.templatetags.base import InclusionAdminNode

register = template.Library()


def queue_result_list(cl: Any) -> dict[str, Any]:
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],  # those of list_editable, which the queues have none of
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [ResultList(None, [row]) for row in cl.rows()],
    }


@register.tag(name="queue_result_list")
def queue_result_list_tag(parser: Any, token: Any) -> InclusionAdminNode:
    return InclusionAdminNode(
        parser, token, func=queue_result_list, template_name="change_list_results.html",
        takes_context=False,
    )  # fmt: skip
