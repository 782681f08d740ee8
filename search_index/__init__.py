"""The Whoosh index over quotes and sources, kept as one more projection of the log.

Imports `events` and `projections` only. `SearchIndex` is the index directory
(one writer at a time, readers that follow its commits), `SearchProjection`
folds the log into it through the same runner as the other read models, and
`search` answers a `SearchRequest` with hits, facets, highlights and a
suggestion.
"""

from search_index.index import IndexBusy, SearchIndex
from search_index.projection import SearchProjection
from search_index.query import QueryError
from search_index.search import Hit, SearchRequest, SearchResults, search

__all__ = ["Hit", "IndexBusy", "QueryError", "SearchIndex", "SearchProjection", "SearchRequest", "SearchResults", "search"]
