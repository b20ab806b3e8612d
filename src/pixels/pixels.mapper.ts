import type { DeliveryResponseDto, PixelResponseDto, PixelWithSecretResponseDto } from './dto/pixels.dto';
import type { PixelDeliveryEntity } from './pixel-delivery.entity';
import type { PixelEntity } from './pixel.entity';

export const SIGNATURE_DOC =
  'X-Callbid-Signature: v1=hex(HMAC-SHA256(secret, "<X-Callbid-Timestamp>.<METHOD>.<path?query>.<raw body>"))';

export const toPixelDto = (p: PixelEntity): PixelResponseDto => ({
  id: p.id,
  name: p.name,
  campaignId: p.campaignId,
  publisherId: p.publisherId,
  events: p.events,
  method: p.method,
  url: p.urlTemplate,
  body: p.bodyTemplate,
  contentType: p.contentType,
  headers: p.headers,
  enabled: p.enabled,
  signature: SIGNATURE_DOC,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

export const toPixelWithSecretDto = (p: PixelEntity): PixelWithSecretResponseDto => ({
  ...toPixelDto(p),
  secret: p.secret,
});

export const toDeliveryDto = (d: PixelDeliveryEntity): DeliveryResponseDto => ({
  id: d.id,
  pixelId: d.pixelId,
  callId: d.callId,
  event: d.event,
  status: d.status,
  method: d.method,
  url: d.url,
  body: d.body,
  attempts: d.attempts,
  responseStatus: d.responseStatus,
  responseMs: d.responseMs,
  lastError: d.lastError,
  history: d.history,
  createdAt: d.createdAt.toISOString(),
  deliveredAt: d.deliveredAt ? d.deliveredAt.toISOString() : null,
});
