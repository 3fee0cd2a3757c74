"""Staff pages for webhook endpoints (/crm/webhooks): add, change, the delivery log, redeliver."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from community.errors import ServiceError
from community.extensions import db
from community.web import page_arg, paged, paginate

from . import webhooks
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .outbox import EVENT_TYPES
from .permissions import can_manage_webhooks
from .services import PER_PAGE

bp = Blueprint("crm_webhooks", __name__)


def _staff_only() -> None:
    if not can_manage_webhooks(current_user):
        abort(404)


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    return endpoint


def _list(errors=None, form=None, created=None, status=200):
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    pending = dict(db.session.execute(select(WebhookDelivery.endpoint_id, func.count())
                                      .where(WebhookDelivery.status == "pending")
                                      .group_by(WebhookDelivery.endpoint_id)).all())
    return render_template("crm_bridge/webhooks.html", endpoints=endpoints, pending=pending, errors=errors or {},
                           form=form or {"url": "", "description": "", "event_types": []},
                           event_types=EVENT_TYPES, created=created), status


def _form() -> dict:
    return {"url": request.form.get("url", ""), "description": request.form.get("description", ""),
            "event_types": request.form.getlist("event_types"), "active": request.form.get("active") == "y"}


@bp.route("/crm/webhooks")
@login_required
def index():
    _staff_only()
    return _list()


@bp.route("/crm/webhooks", methods=["POST"])
@login_required
def create():
    _staff_only()
    form = _form()
    try:
        endpoint = webhooks.create_endpoint(current_user, form["url"], form["event_types"], form["description"])
    except ServiceError as exc:
        db.session.rollback()
        return _list(errors=exc.fields or {"_": str(exc)}, form=form, status=422)
    db.session.commit()
    # the secret is shown on this response only; it is never put in a cookie or a URL
    return _list(created=endpoint, status=201)


def _detail(endpoint, errors=None, form=None, secret=None, status=200):
    attempts = paged(paginate, select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint.id)
                     .order_by(WebhookAttempt.attempted_at.desc(), WebhookAttempt.id.desc()), page_arg(), PER_PAGE)
    return render_template("crm_bridge/webhook.html", endpoint=endpoint, attempts=attempts, errors=errors or {},
                           form=form or {"url": endpoint.url, "description": endpoint.description,
                                         "event_types": endpoint.event_types, "active": endpoint.active},
                           event_types=EVENT_TYPES, secret=secret), status


@bp.route("/crm/webhooks/<int:endpoint_id>")
@login_required
def detail(endpoint_id: int):
    _staff_only()
    return _detail(_endpoint(endpoint_id))


@bp.route("/crm/webhooks/<int:endpoint_id>", methods=["POST"])
@login_required
def update(endpoint_id: int):
    _staff_only()
    endpoint = _endpoint(endpoint_id)
    form = _form()
    try:
        webhooks.update_endpoint(endpoint, form["url"], form["event_types"], form["description"], form["active"])
    except ServiceError as exc:
        db.session.rollback()
        return _detail(_endpoint(endpoint_id), errors=exc.fields or {"_": str(exc)}, form=form, status=422)
    db.session.commit()
    flash(_("Webhook endpoint saved."))
    return redirect(url_for("crm_webhooks.detail", endpoint_id=endpoint.id))


@bp.route("/crm/webhooks/<int:endpoint_id>/secret", methods=["POST"])
@login_required
def rotate(endpoint_id: int):
    _staff_only()
    endpoint = _endpoint(endpoint_id)
    secret = webhooks.rotate_secret(endpoint)
    db.session.commit()
    return _detail(endpoint, secret=secret)


@bp.route("/crm/webhooks/<int:endpoint_id>/delete", methods=["POST"])
@login_required
def delete(endpoint_id: int):
    _staff_only()
    db.session.delete(_endpoint(endpoint_id))
    db.session.commit()
    flash(_("Webhook endpoint deleted."))
    return redirect(url_for("crm_webhooks.index"))


@bp.route("/crm/webhooks/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@login_required
def redeliver(delivery_id: int):
    _staff_only()
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    webhooks.redeliver(delivery)
    db.session.commit()
    flash(_("The event will be delivered again shortly."))
    return redirect(url_for("crm_webhooks.detail", endpoint_id=delivery.endpoint_id))
