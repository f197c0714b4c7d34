from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """The default for lists that grow without bound: stable under inserts, constant cost per
    page however deep the client pages. Views with another natural order set `ordering`."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200


class PageNumberPagination(pagination.PageNumberPagination):
    """For small, bounded lists where a total count and page numbers help (catalogue screens)."""

    page_size_query_param = "page_size"
    max_page_size = 200
