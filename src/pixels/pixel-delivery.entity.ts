import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PixelEvent } from './pixel-context';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryAttempt {
  at: string;
  status: number | null;
  ms: number;
  error: string | null;
}

/** One pixel firing for one call and event: the request as rendered, and how its attempts went. */
@Entity('pixel_deliveries')
export class PixelDeliveryEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'pixel_id' }) pixelId!: string;
  @Column('uuid', { name: 'call_id' }) callId!: string;
  @Column('text') event!: PixelEvent;
  @Column('text') status!: DeliveryStatus;
  @Column('text') method!: string;
  @Column('text') url!: string;
  @Column('text', { nullable: true }) body!: string | null;
  @Column('text', { name: 'content_type', nullable: true }) contentType!: string | null;
  @Column('integer') attempts!: number;
  @Column('integer', { name: 'response_status', nullable: true }) responseStatus!: number | null;
  @Column('integer', { name: 'response_ms', nullable: true }) responseMs!: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError!: string | null;
  @Column('jsonb') history!: DeliveryAttempt[];
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt!: Date | null;
}
