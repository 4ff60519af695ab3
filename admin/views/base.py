"""The one base every admin view stands on: login, menu access, and content through services.

Flask-Admin's mongoengine ``ModelView`` would copy every form field onto the model and save
it; ours never does. Creation, edits, deletion (to the trash) and workflow transitions go
through ``lif.services.content`` and ``lif.workflow``, which ask the policy, take the
optimistic lock, store versions and write the audit trail. A refusal comes back as the
policy's words on a 403 page (``admin/__init__.py`` renders every ``LIFError``); the views
ask :mod:`lif.policy` only to decide which buttons and fields to show. Every value shown,
diffed or exported passes :mod:`lif.redact` first.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import mongoengine as me
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_admin import BaseView, expose
from flask_admin.contrib.mongoengine import ModelView
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import pass_context
from markupsafe import Markup, escape
from werkzeug.utils import secure_filename
from wtforms import HiddenField, SelectField, SelectMultipleField, TextAreaField

from config.roles import ROLES
from documents import spreadsheets
from documents.uploads import DocumentError, check_upload, read_upload
from lif import audit_trail, list_pages, policy, redact, values, versioning, workflow
from lif.errors import Conflict, GuardFailed, InvalidInput, LIFError, NotFound, PermissionDenied
from lif.models.base import Content
from lif.search import SearchQueryError, SearchUnavailable
from lif.services import attachments, content, plans, reference, searching

from .. import display
from .fields import LIFModelConverter
from .filters import LIFFilterConverter


def client_actor():
    """The signed-in user, carrying the client address for the audit trail."""
    user = current_user._get_current_object()
    user.address = request.remote_addr or ""
    return user


class SecureMixin:
    """Login required; the view's menu area decides who may open it (admin: everything)."""

    menu_area = "Administration"

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and policy.can_use_menu(
            current_user, self.menu_area
        )

    def is_visible(self) -> bool:
        return self.is_accessible()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    def _get_list_extra_args(self):
        """A list's page, page size, sort and search, refused (a 400 page naming the
        parameter) when out of the bounds of ``lif/values.py``; Flask-Admin would read
        ``?page=9223372036854775808`` or a 2,000-character search and fail with a 500."""
        args = request.args
        values.read_page(args.get("page"), first=0)  # (Flask-Admin counts pages from 0)
        values.read_per_page(args.get("page_size"), 0, name="page_size")
        for name in ("sort", "desc"):
            if args.get(name) not in (None, "") and not (
                    args[name].isascii() and args[name].isdigit() and len(args[name]) < 4):
                raise InvalidInput(f"'{name}' must be a column number.", field=name)
        values.read_search(args.get("search"))
        return super()._get_list_extra_args()

    def _export_csv(self, return_url):
        """A model view's list as CSV, streamed, every cell safe to open in a spreadsheet.

        Flask-Admin's own export writes text as it is, so a title, or the email someone typed
        at the login page (kept in the audit trail), such as ``=HYPERLINK("http://…")``
        would run as a formula in Excel: here each value goes through
        ``spreadsheets.safe_text`` (a leading ``'`` before ``= + - @``, tab, CR).
        """
        _, data = self._export_data()
        columns = self._export_columns

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())

        def rows():
            yield writer.writerow([spreadsheets.safe_text(str(label)) for _, label in columns])
            for row in data:
                yield writer.writerow([spreadsheets.safe_text(self.get_export_value(row, name))
                                       for name, _ in columns])

        filename = secure_filename(self.get_export_name(export_type="csv"))
        return Response(stream_with_context(rows()), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment;filename={filename}"})


class SecureView(SecureMixin, BaseView):
    pass


class InheritedEndpointsClosed:
    """Flask-Admin's model views bring endpoints that bypass LIF's services: bulk actions,
    AJAX look-ups of references, inline list edits, and a raw GridFS file server that would
    hand any stored file (a referral's attachment) to anyone who can open some list. LIF uses
    none of them; each answers 404 (the url_map test in tests/integration/test_policy_doors.py
    keeps the list complete)."""

    @expose("/action/", methods=("POST",))
    def action_view(self):
        abort(404)

    @expose("/ajax/lookup/")
    def ajax_lookup(self):
        abort(404)

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        abort(404)

    @expose("/api/file/")
    def api_file_view(self):
        abort(404)


def apply_errors(form, error: LIFError) -> None:
    """Put an error's field messages next to the fields; flash what has no field."""
    placed = False
    for field, message in error.errors.items():
        name = field.split(".")[0]
        if name in form._fields:
            form[name].errors = [*list(form[name].errors or []), message]
            placed = True
    if not placed or not error.errors:
        flash(error.message, "error")


def state_badge(view, context, model, name):
    title = workflow.state_title(model)
    return Markup(f'<span class="badge badge-secondary state-badge">{escape(title)}</span>')


def agency_formatter(view, context, model, name):
    value = getattr(model, name)
    names = reference.agency_names()
    if isinstance(value, list):
        return ", ".join(names.get(v, v) for v in value)
    return names.get(value, value or "")


class ContentView(InheritedEndpointsClosed, SecureMixin, ModelView):
    """A content type in the admin, with workflow, versions and the trash."""

    form_base_class = FlaskForm
    filter_converter = LIFFilterConverter()
    model_form_converter = LIFModelConverter
    named_filter_urls = True  # readable, bookmarkable filter URLs: ?flt0_agency_equals=police
    simple_list_pager = True  # no full count on every list page (SecantusDB scans)
    page_size = 20
    can_view_details = True
    can_set_page_size = True
    action_disallowed_list = ["delete"]
    details_template = "lif/details.html"
    edit_template = "lif/edit.html"
    create_template = "lif/create.html"
    list_template = "lif/list.html"
    form_excluded_columns = Content.SYSTEM_FIELDS
    column_formatters = {"state": state_badge, "agency": agency_formatter,
                         "agencies": agency_formatter}
    can_export = True
    export_types = ["csv", "xlsx"]
    column_formatters_export = {
        "state": lambda view, context, model, name: workflow.state_title(model),
        "agency": agency_formatter,
        "agencies": agency_formatter,
    }
    column_labels = {"state": "State", "modified_at": "Changed", "due_date": "Due",
                     "created_at": "Created", "created_by": "Created by",
                     "modified_by": "Changed by", "date_label": "Date as reported",
                     "section": "Index section", "effective": "Published from",
                     "expires": "Published until", "named_lead": "Named lead",
                     "referred_by": "Referred by", "reviewed_with": "Reviewed with",
                     "reviewed_with_lead_on": "Reviewed with the lead on",
                     "completed_on": "Completed on", "case_summary": "Case summary",
                     "significant_people": "Significant people",
                     "recommendation_rationale": "Rationale for the recommendation",
                     "chair_stance": "The Chair on the recommendation",
                     "decision_rationale": "Rationale for the decision",
                     "decided_on": "Decided on", "reviewers": "Reviewers",
                     "independent_reviewer": "Independent reviewer"}
    column_details_exclude_list = ("workflow_history", "trashed", "trashed_at", "trashed_by",
                                   "version", "import_key")
    column_type_formatters = {
        **ModelView.column_type_formatters,
        dt.datetime: lambda view, value, name: display.date_time(value),
        dt.date: lambda view, value, name: display.date(value),
    }
    # Fields turned into selects filled at form time (their choices live in the database).
    agency_fields = ("agency", "agencies", "themes")

    def __init__(self, model, *args, **kwargs):
        self.type_key = model.type_key
        overrides = {}
        for name in self.agency_fields:
            if name in model._fields:
                multiple = name in ("agencies", "themes")
                overrides[name] = SelectMultipleField if multiple else SelectField
        for name, field in model._fields.items():
            # Long text gets a text area rather than a one-line input.
            if isinstance(field, me.StringField) and not field.choices and not isinstance(
                field, me.EmailField
            ) and (field.max_length is None or field.max_length > 1000):
                overrides.setdefault(name, TextAreaField)
        self.form_overrides = {**overrides, **(getattr(self, "form_overrides", None) or {})}
        self.form_widget_args = {
            **{name: {"rows": 4} for name, cls in overrides.items() if cls is TextAreaField},
            **(getattr(self, "form_widget_args", None) or {}),
        }
        super().__init__(model, *args, **kwargs)

    def search_placeholder(self):
        return "Search titles and text"

    # --- access ----------------------------------------------------------------------
    @property
    def can_create(self):  # type: ignore[override]
        return policy.allows(current_user, "create", type_key=self.type_key)

    @property
    def can_edit(self):  # type: ignore[override]
        return current_user.is_authenticated

    @property
    def can_delete(self):  # type: ignore[override]
        return current_user.is_authenticated

    def get_query(self):
        flt = policy.view_filter(current_user, self.type_key)
        if flt is None:
            return self.model.objects(pk=None)
        return self.model.objects(__raw__=flt)

    # --- the list: keyset pages, the search box through the search index ------------------
    #: Most rows the search box hands an export (the list itself pages through every match).
    EXPORT_SEARCH_LIMIT = 10_000

    def _get_list_extra_args(self):
        """The list's arguments, without the page position (``after``/``before``): links to
        other sorts, filters and page sizes start at the top."""
        view_args = super()._get_list_extra_args()
        g.lif_position = {key: view_args.extra_args.pop(key) for key in ("after", "before")
                          if key in view_args.extra_args}
        return view_args

    def is_sortable(self, name):
        # Search results come in order of relevance.
        return not request.args.get("search") and super().is_sortable(name)

    def _order(self, queryset) -> list[tuple[str, int]]:
        ordering = list(queryset._ordering or [])
        if not ordering:
            for key in self.model._meta.get("ordering") or []:
                ordering.append((key.lstrip("-"), -1 if key.startswith("-") else 1))
        return ordering

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        if sort_column is not None and sort_column not in self._sortable_columns:
            sort_column, sort_desc = None, False  # only the sorts offered (served by indexes)
        if not execute:  # an export: every row (the search box's matches: see _search)
            return super().get_list(page, sort_column, sort_desc, search, filters,
                                    execute=False, page_size=page_size)
        count, queryset = super().get_list(page, sort_column, sort_desc, None, filters,
                                           execute=False, page_size=page_size)
        limit = queryset._limit or self.page_size
        position = getattr(g, "lif_position", {})
        if search:
            return count, self._search_page(queryset._query, search, limit, position)
        ordering = self._order(queryset)
        if len(ordering) != 1:
            g.lif_pager = None
            return count, queryset.select_related(max_depth=1)
        field, direction = ordering[0]
        after = list_pages.decode(position.get("after", ""))
        before = list_pages.decode(position.get("before", "")) if after is None else None
        found = list_pages.read(self.model, queryset._query, field, descending=direction < 0,
                                after=after, before=before, skip=queryset._skip or 0,
                                limit=limit)
        first = after is None and before is None and not queryset._skip
        self._set_pager(
            after=list_pages.encode(found.position(-1)) if found.ids and (
                found.more or before is not None) else None,
            before=list_pages.encode(found.position(0)) if found.ids and not first and (
                found.more or before is None) else None,
            first=not first)
        return count, list_pages.in_order(self.model, found.ids)

    def _search_page(self, query, search, limit, position) -> list:
        """The list's rows the search box finds, in order of relevance (the search index)."""
        def rank(key):
            value = position.get(key, "")
            return int(value[1:]) if re.fullmatch(r"r\d{1,9}", value) else None

        after, before = rank("after"), rank("before")
        try:
            found = searching.list_matches(current_user, self.model, search, query,
                                           limit=limit, after=after,
                                           before=before if after is None else None)
        except SearchQueryError as error:
            flash(str(error), "error")
            return []
        except SearchUnavailable:
            flash("Search is not available just now (the index needs rebuilding: "
                  "`flask --app app lif reindex`). Clear the search to see the list.", "error")
            return []
        self._set_pager(
            after=f"r{found.last_rank}" if found.more_after and found.items else None,
            before=f"r{found.first_rank}" if found.more_before and found.items else None,
            first=after is not None or before is not None)
        return found.items

    def _set_pager(self, *, after: str | None, before: str | None, first: bool) -> None:
        view_args = self._get_list_extra_args()

        def url(**where):
            return self._get_list_url(view_args.clone(page=None, extra_args={
                **view_args.extra_args, **where}))

        g.lif_pager = {"next": url(after=after) if after else None,
                       "previous": url(before=before) if before else None,
                       "first": url() if first else None}

    def pager(self) -> dict | None:
        """The list page's links (first, previous, next), or ``None`` for Flask-Admin's."""
        return getattr(g, "lif_pager", None)

    def _search(self, query, search_term):
        """The search box's matches (the search index), for an export of the list."""
        try:
            found = searching.list_matches(current_user, self.model, search_term,
                                           query._query, limit=self.EXPORT_SEARCH_LIMIT)
        except (SearchQueryError, SearchUnavailable):
            return query.filter(pk=None)
        return query.filter(pk__in=[item.pk for item in found.items])

    def get_one(self, id):
        try:
            return content.get(self.type_key, id, current_user)
        except NotFound:
            return None

    # --- what leaves: every value through the redactor ----------------------------------
    def shown(self, model):
        """``model`` as the signed-in person may see it (personal data withheld); made once
        per request, however many cells of a list or an export ask."""
        if model is None or getattr(model, "_redaction", None) is not None:
            return model
        made = g.setdefault("lif_shown", {})
        key = id(model)
        if key not in made:
            made[key] = (model, redact.for_item(current_user, model).item(model))
        return made[key][1]

    @pass_context
    def get_list_value(self, context, model, name):
        return super().get_list_value(context, self.shown(model), name)

    @pass_context
    def get_detail_value(self, context, model, name):
        """A field of the item page in words (:mod:`admin.display`), after the redactor."""
        model = self.shown(model)
        formatter = (self.column_formatters_detail or self.column_formatters).get(name)
        if formatter is not None:
            value = formatter(self, context, model, name)
            return "" if display.is_empty(value) else value
        return display.field_value(model, name)

    def get_export_value(self, model, name):
        return super().get_export_value(self.shown(model), name)

    def redaction(self, item):
        return redact.for_item(current_user, item)

    # --- forms -----------------------------------------------------------------------
    def _hide_fields(self, form, item_or_type) -> None:
        """Leave out the fields this person may not set (the policy would refuse them)."""
        for name in policy.fields_not_settable(current_user, item_or_type) or ():
            if name in form._fields:
                delattr(form, name)

    def _fill_choices(self, form) -> None:
        if "agency" in form._fields:
            form.agency.choices = [("", "—")] + reference.agency_choices()
        if "agencies" in form._fields:
            form.agencies.choices = reference.agency_choices()
        if "themes" in form._fields:
            form.themes.choices = reference.theme_choices()
        for field in form._fields.values():
            queryset = getattr(field, "queryset", None)
            document = getattr(queryset, "_document", None)
            if document is not None and issubclass(document, Content):
                flt = policy.view_filter(current_user, document.type_key)
                field.queryset = (
                    document.objects(__raw__=flt) if flt is not None else document.objects(pk=None)
                )

    def scaffold_form(self):
        form_class = super().scaffold_form()
        # Every edit carries the version it was based on (the optimistic lock).
        form_class.base_version = HiddenField()
        return form_class

    def create_form(self, obj=None):
        form = super().create_form(obj)
        self._hide_fields(form, self.type_key)
        self._fill_choices(form)
        return form

    def edit_form(self, obj=None):
        # Who may edit an item holding personal data may read it (the policy), so the form
        # holds the real values: a redacted form saved would overwrite them.
        g.lif_form_item = obj  # choices drawn from the item (an audit's own findings)
        form = super().edit_form(obj)
        if obj is not None:
            self._hide_fields(form, obj)
            if not redact.for_item(current_user, obj).shows_personal:
                for name in policy.personal_fields(self.model):
                    if name in form._fields:
                        delattr(form, name)
        self._fill_choices(form)
        if request.method == "GET" and obj is not None:
            form.base_version.data = obj.version
        return form

    def _form_data(self, form, scratch) -> dict:
        form.populate_obj(scratch)
        return {
            name: getattr(scratch, name)
            for name in form._fields
            if name in self.model._fields and name not in Content.SYSTEM_FIELDS
        }

    def prepare_create(self, data: dict) -> dict:
        """Fill in what a new item of this type gets by default (e.g. the lead's agency)."""
        return data

    def create_item(self, data: dict, actor):
        """Store a new item from the form's values (a type's own service may check more)."""
        return content.create(self.model, data, actor)

    def update_item(self, item, data: dict, actor, base_version):
        """Store the form's values on ``item`` (a type's own service may check more)."""
        return content.update(item, data, actor, base_version=base_version)

    def create_model(self, form):
        data = self.prepare_create(self._form_data(form, self.model()))
        try:
            return self.create_item(data, client_actor())
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page
        except LIFError as error:
            apply_errors(form, error)
            return False

    def update_model(self, form, model):
        scratch = self.model._from_son(model.to_mongo())
        data = self._form_data(form, scratch)
        try:
            self.update_item(model, data, client_actor(), form.base_version.data)
        except PermissionDenied:
            raise
        except Conflict as error:
            link = url_for(".diff_view", id=model.pk)
            flash(Markup(f"{escape(error.message)} <a href=\"{link}\">See what changed</a>."),
                  "error")
            return False
        except LIFError as error:
            apply_errors(form, error)
            return False
        return True

    def delete_model(self, model):
        content.trash(model, client_actor())  # a refusal: the policy's reason, 403
        flash(f"'{self.shown(model)}' was moved to the trash; an administrator can restore it.",
              "info")
        return True

    def handle_view_exception(self, exc):
        # Flask-Admin shows any exception from a model change as a flash message and carries
        # on ("Record was successfully deleted"): a refusal must stay a refusal.
        if isinstance(exc, LIFError):
            raise exc
        return super().handle_view_exception(exc)

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        form = self.delete_form()
        if not self.validate_form(form):
            abort(400)
        item = self.get_one(form.id.data)
        if item is None:
            abort(404)
        self.delete_model(item)
        return redirect(get_redirect_target() or self.get_url(".index_view"))

    @expose("/details/")
    def details_view(self):
        item = self.get_one(request.args.get("id"))
        if item is None:
            flash("That item does not exist.", "error")
            return redirect(get_redirect_target() or self.get_url(".index_view"))
        return self.render(self.details_template, model=self.shown(item),
                           details_columns=self._details_columns,
                           get_value=self.get_detail_value,
                           return_url=get_redirect_target() or self.get_url(".index_view"))

    def details_again(self, item, typed):
        """The item's page again after a refused form on it, with what was typed kept
        (``typed``: the form's values) so nothing is lost."""
        return self.render(self.details_template, model=self.shown(item),
                           details_columns=self._details_columns,
                           get_value=self.get_detail_value, typed=typed,
                           return_url=self.get_url(".index_view"))

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        policy.require(current_user, "create", type_key=self.type_key)
        return super().create_view()

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        item = self.get_one(request.args.get("id"))
        if item is None:
            flash("That item does not exist.", "error")
            return redirect(self.get_url(".index_view"))
        decision = policy.decide(current_user, "edit", item)
        if not decision and request.method == "GET":
            flash(f"'{self.shown(item)}' cannot be changed by you in its state "
                  f"'{workflow.state_title(item)}'.", "info")
            return redirect(self.get_url(".details_view", id=item.pk))
        if not decision:
            raise PermissionDenied(decision.reason)
        return super().edit_view()

    # --- the item page: a document to read ---------------------------------------------
    #: Fields the page shows in sections of their own, or not at all (internal, or the
    #: record's own bookkeeping, shown in the byline and the history).
    page_elsewhere = ("title", "summary", "state", "workflow_history", "version", "trashed",
                      "trashed_at", "trashed_by", "import_key", "created_at", "created_by",
                      "modified_at", "modified_by", "findings", "activities",
                      "recommendations", "participants", "finding_uid", "finding_uids",
                      "progress", "evidence", "verdicts", "notices", "pack_attachment",
                      "agenda", "slot")
    #: Long texts the page shows under their own heading, in this order.
    page_texts: tuple[str, ...] = ()
    #: The facts in reading order (default: the details columns, less the above).
    page_facts: tuple[str, ...] | None = None

    def fact_columns(self):
        """``(field, label)`` of the facts table, in reading order."""
        labels = dict(self._details_columns)
        skip = {*self.page_elsewhere, *self.page_texts}
        names = self.page_facts if self.page_facts is not None else list(labels)
        return [(name, labels.get(name) or self.get_column_name(name))
                for name in names if name not in skip]

    def text_columns(self):
        """``(field, label)`` of the long texts, each shown under its own heading."""
        labels = dict(self._details_columns)
        return [(name, labels.get(name) or self.get_column_name(name))
                for name in self.page_texts]

    def findings_with_actions(self, item) -> list:
        """``[(finding, [actions answering it])]`` for a page that shows findings."""
        return []

    def activities_of(self, item) -> list:
        return list(getattr(item, "activities", None) or [])

    def next_steps(self, item) -> list[dict]:
        """What the workflow does next with ``item``, and who takes each step (when the
        signed-in person has no step of their own to take)."""
        steps = []
        for step in workflow.next_steps(item):
            roles = [ROLES.get(role, role) for role in step["roles"]]
            who = ", ".join(roles[:-1]) + (" or " if len(roles) > 1 else "") + roles[-1] \
                if roles else ""
            steps.append({**step, "who": who})
        return steps

    def rag(self, action) -> str:
        return plans.rag(action)

    def history_of(self, item) -> list[dict]:
        """The item's workflow history, newest first, its states by their titles."""
        return [{"at": entry.at, "actor": entry.actor, "comment": entry.comment,
                 "from_title": workflow.title_of_state(item.type_key, entry.from_state, item),
                 "to_title": workflow.title_of_state(item.type_key, entry.to_state, item)}
                for entry in reversed(item.workflow_history or [])]

    # --- workflow, versions ---------------------------------------------------------
    def transitions_for(self, item):
        """The Workflow box's buttons: a transition that records what a person chooses (a
        decision, a response, the date a meeting was held) has its own form instead."""
        return [t for t in workflow.available_transitions(item, current_user)
                if not t["requires"]]

    def state_title(self, item):
        return workflow.state_title(item)

    def versions_for(self, item, limit=50):
        return list(versioning.versions_of(item)[:limit])

    def can_edit_item(self, item):
        return policy.allows(current_user, "edit", item)

    def may_override_guards(self):
        return policy.may_override_guards(current_user)

    def can_trash_item(self, item):
        return policy.allows(current_user, "trash", item)

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        item = self.get_one(request.form.get("id"))
        if item is None:
            abort(404)
        name = request.form.get("transition", "")
        try:
            base = int(request.form.get("base_version", item.version))
        except ValueError:
            abort(400)
        try:
            workflow.fire(
                item, name, client_actor(), request.form.get("comment", ""),
                override=request.form.get("override") == "1", base_version=base,
            )
        except PermissionDenied:
            raise
        except (GuardFailed, InvalidInput, Conflict) as error:
            flash(error.message, "error")
        else:
            flash(f"'{item}' is now: {workflow.state_title(item)}.", "success")
        return redirect(self.get_url(".details_view", id=item.pk))

    @expose("/diff/")
    def diff_view(self):
        item = self.get_one(request.args.get("id"))
        if item is None:
            abort(404)
        numbers = [v.number for v in versioning.versions_of(item).only("number")]
        try:
            b = int(request.args.get("b", numbers[0] if numbers else 1))
            a = int(request.args.get("a", max(b - 1, 1)))
        except ValueError:
            abort(400)
        va, vb = versioning.get_version(item, a), versioning.get_version(item, b)
        if va is None or vb is None:
            abort(404)
        shown = self.redaction(item)
        rows = versioning.diff(shown.snapshot(va.snapshot), shown.snapshot(vb.snapshot))
        reverse = self.model._reverse_db_field_map
        for row in rows:  # a field by its label, as on the item's page
            name = reverse.get(row["field"], row["field"])
            row["field"] = self.get_column_name(name)
        return self.render("lif/diff.html", item=self.shown(item), a=va, b=vb, rows=rows,
                           numbers=numbers, redaction=shown,
                           return_url=get_redirect_target() or self.get_url(".index_view"))

    @expose("/revert/", methods=("POST",))
    def revert_view(self):
        item = self.get_one(request.form.get("id"))
        if item is None:
            abort(404)
        try:
            number = int(request.form.get("number", ""))
            content.revert(item, number, client_actor(),
                           base_version=int(request.form.get("base_version", item.version)))
        except ValueError:
            abort(400)
        except PermissionDenied:
            raise
        except LIFError as error:
            flash(error.message, "error")
        else:
            flash(f"Reverted to version {number}; that is now version {item.version}.",
                  "success")
        return redirect(self.get_url(".details_view", id=item.pk))

    # --- exports (the list as filtered) ------------------------------------------------
    def _export_csv(self, return_url):
        policy.require(current_user, "export", type_key=self.type_key)
        audit_trail.record("export", client_actor(), object_type=self.type_key,
                           detail=f"{self.type_key} list as CSV: {request.query_string.decode()}")
        return super()._export_csv(return_url)  # SecureMixin's: safe cells

    def _export_tablib(self, export_type, return_url):
        if export_type != "xlsx":
            abort(404)
        policy.require(current_user, "export", type_key=self.type_key)
        _, data = self._export_data()
        columns = self._export_columns
        rows = [[self.get_export_value(row, name) for name, _ in columns] for row in data]
        body = spreadsheets.xlsx([str(label) for _, label in columns], rows,
                                 title=self.name)
        audit_trail.record("export", client_actor(), object_type=self.type_key,
                           detail=f"{self.type_key} list as XLSX: {request.query_string.decode()}")
        return send_file(io.BytesIO(body), mimetype=spreadsheets.XLSX_TYPE, as_attachment=True,
                         download_name=f"{self.type_key}s.xlsx")

    def related(self, item):
        """More like this: reviews and audits sharing the item's key terms."""
        if item.type_key not in ("review", "audit"):
            return []
        return [hit for hit in searching.related(current_user, item, limit=6)
                if hit.type in ("review", "audit")][:5]

    def attachments_for(self, item):
        return attachments.list_for(item)

    @expose("/attach/", methods=("POST",))
    def attach_view(self):
        item = self.get_one(request.form.get("id"))
        if item is None:
            abort(404)
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise DocumentError("Choose a file to attach.")
            data = read_upload(upload, self.max_upload_mb)
            checked = check_upload(upload.filename, data)
            attachments.add(item, checked.name, checked.data, checked.media_type, checked.text,
                            client_actor(), published=request.form.get("published") == "1")
        except DocumentError as error:
            flash(f"Not attached: {error}", "error")
        except PermissionDenied:
            raise
        except LIFError as error:
            flash(f"Not attached: {error.message}", "error")
        else:
            flash(f"Attached '{checked.name}'.", "success")
        return redirect(self.get_url(".details_view", id=item.pk))

    @property
    def max_upload_mb(self):
        return current_app.config["LIF_MAX_UPLOAD_MB"]
