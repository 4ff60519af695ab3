"""The search page: ranked, highlighted, faceted results of what the user may see."""

from __future__ import annotations

from flask import request
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup

from lif import values
from lif.errors import InvalidInput
from lif.search import SearchQueryError, SearchUnavailable
from lif.services import reference, searching

from .base import SecureView

FACET_LABELS = {"type": "Type", "theme": "Theme", "agency": "Agency", "year": "Year",
                "state": "State"}
TYPE_LABELS = {"review": "Review", "audit": "Audit", "action_plan": "Action plan",
               "action": "Action", "referral": "Referral", "information_request":
               "Request for information", "pdc_review": "PDC review", "meeting": "Meeting",
               "attachment": "File", "progress": "Progress update",
               "evidence": "Evidence of impact"}


class SearchView(SecureView):
    def is_accessible(self):
        return current_user.is_authenticated

    def is_visible(self):
        return False  # the search box is in the navbar on every page

    @expose("/")
    def index(self):
        q = request.args.get("q", "").strip()
        sort = request.args.get("sort", "relevance")
        page = values.read_page(request.args.get("page"))
        filters = {key: request.args.getlist(key) for key in FACET_LABELS
                   if request.args.getlist(key)}
        results, error = None, searching.problem()
        try:
            values.read_search(q, "q")
        except InvalidInput as refused:  # said on the page, above the box to shorten it in
            error, q, filters = refused.message, "", {}
        if q or filters:
            try:
                results = searching.search(current_user, q, page=page, sort=sort,
                                           filters=filters or None)
            except SearchQueryError as exc:
                error = str(exc)
            except SearchUnavailable:
                error = ("Search is not available just now (the index needs rebuilding: "
                         "`flask --app app lif reindex`). Everything else works.")
        return self.render("search/results.html", q=q, sort=sort, results=results,
                           error=error, filters=filters, facet_labels=FACET_LABELS,
                           value_label=self.value_label, snippet=Markup)

    def value_label(self, field, value):
        if field == "agency":
            return reference.agency_name(value)
        if field == "theme":
            return reference.theme_labels().get(value, value)
        if field == "type":
            return TYPE_LABELS.get(value, value)
        return value
