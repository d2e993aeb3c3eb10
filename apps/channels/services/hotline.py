"""12345 hotline work orders (工单): a batch is taken order by order, each once whatever is re-sent."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from ..models import Channel
from ..selectors import mapped_categories
from .intake import ChannelReport, UnmappedCategoryError, channel_report


@dataclass
class OrderResult:
    order_no: str
    outcome: str  # created, merged (attached to an open event), duplicate (sent before), rejected
    event_id: Any = None
    request_id: Any = None
    errors: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"order_no": self.order_no, "outcome": self.outcome}
        if self.outcome == "rejected":
            body["errors"] = self.errors
        else:
            body["event_id"], body["request_id"] = str(self.event_id), str(self.request_id)
        return body


def work_orders_receive(*, channel: Channel, orders: list[dict[str, Any]]) -> list[OrderResult]:
    """Report each order of a batch in its own transaction: one bad order never affects the others.

    ``orders`` are raw dicts; each is validated here so that a rejected one is answered with its errors.
    """
    from ..inputs import WorkOrderInput, work_order_report  # inputs build on this app's services

    categories = mapped_categories(
        channel, [str(o.get("category", "")) for o in orders if isinstance(o, dict)]
    )
    results = []
    for index, raw in enumerate(orders):
        order_no = str(raw.get("order_no", "")) if isinstance(raw, dict) else ""
        serializer = WorkOrderInput(data=raw, context={"principal": channel.account})
        try:
            serializer.is_valid(raise_exception=True)
            report: ChannelReport = work_order_report(channel, serializer.validated_data, categories)
            outcome = channel_report(channel=channel, report=report)
        except ValidationError as exc:
            results.append(OrderResult(order_no or f"#{index}", "rejected", errors=_errors(exc.detail)))
            continue
        except UnmappedCategoryError:
            message = _("The category %(code)s is not mapped and the channel has no triage category.")
            results.append(
                OrderResult(
                    order_no, "rejected", errors={"category": [message % {"code": report.external_code}]}
                )
            )
            continue
        results.append(
            OrderResult(order_no, outcome.outcome, event_id=outcome.event.pk, request_id=outcome.request.pk)
        )
    return results


def _errors(detail: Any) -> dict[str, Any]:
    return detail if isinstance(detail, dict) else {"non_field_errors": detail}
