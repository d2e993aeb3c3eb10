"""``PUT``/``GET /api/v1/attachments/<sha256>/``."""

from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import HasRole

from .. import selectors, services


class ImageBytesParser(BaseParser):
    """The request body as bytes, for the image types attachments accept."""

    media_type = "image/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return stream.read(services.MAX_BYTES + 1) if stream is not None else b""


class AttachmentOutputSerializer(serializers.Serializer[Any]):
    sha256 = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class AttachmentView(APIView):
    parser_classes = [ImageBytesParser]

    def get_permissions(self) -> list[Any]:
        if self.request.method == "PUT":
            return [HasRole.of("admin", "dispatcher", "grid_worker")()]
        return list(super().get_permissions())

    @extend_schema(
        tags=["attachments"], request={"image/jpeg": OpenApiTypes.BINARY, "image/png": OpenApiTypes.BINARY,
                                       "image/webp": OpenApiTypes.BINARY},
        responses={201: AttachmentOutputSerializer, 200: OpenApiResponse(AttachmentOutputSerializer, "Already stored.")},
        summary="Upload a photo under the SHA-256 of its bytes (idempotent)",
    )  # fmt: skip
    def put(self, request: Request, sha256: str) -> Response:
        content = request.data if isinstance(request.data, bytes) else b""
        attachment, created = services.attachment_store(
            sha256=sha256, content=content, declared_type=request.content_type.split(";")[0].strip(),
            uploader=request.user,
        )  # fmt: skip
        body = {"sha256": attachment.sha256, "content_type": attachment.content_type, "size": attachment.size}
        return Response(AttachmentOutputSerializer(body).data, status=201 if created else 200)

    @extend_schema(
        tags=["attachments"],
        responses={(200, "image/*"): OpenApiTypes.BINARY},
        summary="Download a photo (if you may see a record that references it)",
    )
    def get(self, request: Request, sha256: str) -> FileResponse:
        attachment = selectors.attachment_for(user=request.user, sha256=sha256)
        if attachment is None:
            raise Http404
        response = FileResponse(
            default_storage.open(attachment.storage_name, "rb"), content_type=attachment.content_type
        )
        response["Cache-Control"] = "private, max-age=31536000, immutable"
        return response
