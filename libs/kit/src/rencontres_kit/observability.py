"""Logs, traces and HTTP metrics, installed the same way in every service.

- Logs: one JSON object per line (structlog), for our loggers and uvicorn's alike, each with
  the service, the correlation id and the trace and span ids, and personal data masked
  (`rencontres_kit.masking`) in every field.
- Traces: OpenTelemetry with the maintained FastAPI, aiokafka and PyMongo instrumentations.
  Spans are always made (ids in logs, `traceparent` carried through the outbox, every Kafka
  message and every consumer); they leave the process only when an exporter is configured:
  `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) for OTLP over HTTP, or
  `RENCONTRES_TRACE_FILE` for one JSON line per span (what the tests read). Off by default.
- HTTP metrics: prometheus-fastapi-instrumentator (request rate, status, latency per route).
"""

import json
import logging
import os
import sys
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from fastapi import FastAPI
from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_fastapi_instrumentator import Instrumentator

from rencontres_kit.masking import mask_value

_W3C = TraceContextTextMapPropagator()
_configured: set[str] = set()


# ------------------------------------------------------------------ logs


def _add_ids(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        event_dict.setdefault("trace_id", format(span.trace_id, "032x"))
        event_dict.setdefault("span_id", format(span.span_id, "016x"))
    cid = correlation_id.get()
    if cid:
        event_dict.setdefault("correlation_id", cid)
    return event_dict


def _mask(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    return {k: mask_value(v) for k, v in event_dict.items()}


PROBES = ("/healthz", "/readyz", "/metrics")


class QuietProbes(logging.Filter):
    """Drops the access lines of answered probes and scrapes. The ops dashboard and Prometheus
    ask every few seconds; their lines would bury everything else on the terminal and in the
    logs. A probe that fails (status 400 or more) is still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or len(args) < 5:
            return True
        path, status = str(args[2]).split("?", 1)[0], args[4]
        return not (path in PROBES and isinstance(status, int) and status < 400)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Every log line as masked JSON on stderr, uvicorn's and the libraries' included."""
    if "logging" in _configured:
        return
    _configured.add("logging")
    shared: Sequence[Any] = (
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        lambda _, __, d: {"service": service, **d},
        _add_ids,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _mask,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").addFilter(QuietProbes())
    # httpx logs every request it makes at INFO: the dashboard's probes every two seconds
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# ------------------------------------------------------------------ traces


class JsonLinesSpanExporter(SpanExporter):
    """One JSON line per finished span, appended to a file: for tests and local digging."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for span in spans:
            ctx = span.get_span_context()
            parent = span.parent
            attributes = dict(span.attributes or {})
            lines.append(
                json.dumps(
                    {
                        "name": span.name,
                        "service": span.resource.attributes.get("service.name"),
                        "kind": span.kind.name,
                        "trace_id": format(ctx.trace_id, "032x") if ctx else None,
                        "span_id": format(ctx.span_id, "016x") if ctx else None,
                        "parent_id": format(parent.span_id, "016x") if parent else None,
                        "attributes": mask_value({k: str(v) for k, v in attributes.items()}),
                    }
                )
            )
        with self._path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS


def configure_tracing(service: str) -> None:
    """A tracer provider and the library instrumentations; exporters only when configured."""
    if "tracing" in _configured:
        return
    _configured.add("tracing")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace_file = os.environ.get("RENCONTRES_TRACE_FILE")
    if trace_file:
        # batched in the SDK's thread, not written in the request's path; flushed within 0.2 s
        exporter = JsonLinesSpanExporter(Path(trace_file))
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=200))
    trace.set_tracer_provider(provider)
    propagate.set_global_textmap(_W3C)
    from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    AIOKafkaInstrumentor().instrument()
    PymongoInstrumentor().instrument()


def instrument_app(app: FastAPI) -> None:
    """HTTP metrics per route, a server span per request, a correlation id per request."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    Instrumentator(
        excluded_handlers=["/metrics", "/healthz", "/readyz"],
        should_group_status_codes=False,
    ).instrument(app)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="/metrics,/healthz,/readyz")
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Correlation-ID")


def setup(service: str, app: FastAPI | None = None) -> None:
    """Logs and traces for the process (idempotent); HTTP instrumentation for `app`."""
    configure_logging(service, os.environ.get("LOG_LEVEL", "INFO"))
    configure_tracing(service)
    if app is not None:
        instrument_app(app)


# ------------------------------------------------------------------ propagation


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, if there is one."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


def trace_id_of(traceparent: str | None) -> str | None:
    parts = (traceparent or "").split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


@contextmanager
def continued(traceparent: str | None) -> Iterator[None]:
    """Run the block in the trace `traceparent` names (nothing changes without one)."""
    if not traceparent:
        yield
        return
    token = context.attach(_W3C.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        context.detach(token)


@contextmanager
def consuming(
    group: str, event_type: str, event_id: str, cid: str | None, traceparent: str | None
) -> Iterator[trace.Span]:
    """A consumer span continuing the event's trace, with its correlation id bound for logs."""
    tracer = trace.get_tracer("rencontres_kit.consumer")
    parent = _W3C.extract({"traceparent": traceparent}) if traceparent else None
    cid_token = correlation_id.set(cid)
    try:
        with tracer.start_as_current_span(
            f"{group} process {event_type}",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.consumer.group.name": group, "cloudevents.id": event_id},
        ) as span:
            yield span
    finally:
        correlation_id.reset(cid_token)


@contextmanager
def consuming_batch(group: str, event_type: str, events: Sequence[Any]) -> Iterator[trace.Span]:
    """One consumer span for a batch of events, linked to each event's trace (OpenTelemetry's
    way for batches: a span has one parent, but any number of links). What the batch publishes
    names its own cause's trace (the outbox entry's `traceparent`)."""
    tracer = trace.get_tracer("rencontres_kit.consumer")
    links = []
    for event in events:
        parent = trace.get_current_span(_W3C.extract({"traceparent": event.traceparent or ""}))
        if parent.get_span_context().is_valid:
            links.append(trace.Link(parent.get_span_context()))
    with tracer.start_as_current_span(
        f"{group} process {event_type} batch",
        kind=trace.SpanKind.CONSUMER,
        links=links,
        attributes={
            "messaging.consumer.group.name": group,
            "messaging.batch.message_count": len(events),
        },
    ) as span:
        yield span
